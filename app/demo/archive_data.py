"""The demo community's older threads (`app/demo/archive.py` turns them into posts): the everyday questions a
customer community answers again and again, for each product, and the regulars who ask them.

Each problem is written once with `{p}` for the product; its answer is the one its helper gives every time.
"""

from __future__ import annotations

# Members who mostly ask (and give kudos): they make the answers of the community's helpers add up to ranks.
REGULARS: list[dict] = [
    {
        "username": "maria_k",
        "display_name": "Maria Konstantinou",
        "locale": "el",
        "bio": "Architect, two Nimbus laptops at home.",
    },
    {
        "username": "tomasz_b",
        "display_name": "Tomasz Bielecki",
        "locale": "pl",
        "bio": "Fibre 1000 at home, Nimbus Air 13 on the road.",
    },
    {
        "username": "elira_d",
        "display_name": "Elira Dervishi",
        "locale": "sq",
        "bio": "Student. My Nimbus Book 14 goes everywhere with me.",
    },
    {
        "username": "dana_cohen",
        "display_name": "Dana Cohen",
        "locale": "he",
        "bio": "Small business owner on a Nimbus bundle.",
    },
    {
        "username": "mike_t",
        "display_name": "Mike Turner",
        "locale": "en",
        "bio": "Gamer and home-network tinkerer.",
    },
    {
        "username": "anna_s",
        "display_name": "Anna Schmidt",
        "locale": "en",
        "bio": "Photographer, Nimbus Book Pro 16.",
    },
    {
        "username": "kostas_v",
        "display_name": "Kostas Vlachos",
        "locale": "el",
        "bio": "Working from home since 2020.",
    },
    {
        "username": "ola_m",
        "display_name": "Ola Mazur",
        "locale": "pl",
        "bio": "Teacher; asks the questions my pupils ask me.",
    },
    {
        "username": "besa_h",
        "display_name": "Besa Hysa",
        "locale": "sq",
        "bio": "New to Nimbus Fibre.",
    },
    {
        "username": "raj_p",
        "display_name": "Raj Patel",
        "locale": "en",
        "bio": "Software developer, Nimbus Book Pro 16 owner.",
    },
]

PRODUCTS: dict[str, tuple[str, ...]] = {
    "laptops": ("Nimbus Book 14", "Nimbus Book Pro 16", "Nimbus Air 13"),
    "broadband": ("Nimbus Fibre 150", "Nimbus Fibre 500", "Nimbus Fibre 1000"),
    "billing-accounts": ("Fibre 500 plan", "Fibre 1000 plan", "Fibre and Mobile bundle"),
}

# (board, title, body, answer, tags)
PROBLEMS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("laptops", "{p} trackpad stops responding after sleep",
     "Every few days the trackpad on my {p} ignores every touch after I open the lid. An external mouse still "
     "works, and a restart fixes it until the next time.",
     "Open Device Manager, find *Nimbus Precision Touchpad* under Human Interface Devices and untick *Allow the "
     "computer to turn off this device to save power* on its Power Management tab. Then install the latest Nimbus "
     "Control Center update: the touchpad firmware in it fixed this for good.", ("trackpad", "sleep")),
    ("laptops", "{p} gets very hot while charging",
     "The area above the keyboard of my {p} gets too hot to touch while it charges, even when I only browse.",
     "Some warmth while charging is normal, but not that much. In Nimbus Control Center set the power mode to "
     "*Balanced*, and check that nothing blocks the vents underneath (a soft surface does). If it stays hot with "
     "the lid open on a desk, book a free check under warranty.", ("battery", "heat")),
    ("laptops", "{p} Wi-Fi keeps dropping on battery",
     "On the charger my {p} keeps its Wi-Fi all day; on battery it drops every twenty minutes or so.",
     "That is the adapter's power saving. In Device Manager open the Wi-Fi adapter, *Advanced* tab, and set "
     "*MIMO Power Save Mode* to *No SMPS*; on the Power Management tab untick turning it off. Install the Wi-Fi "
     "driver from the Nimbus support page too, not the generic one.", ("wifi", "battery")),
    ("laptops", "Bluetooth headphones stutter on my {p}",
     "Music through my Bluetooth headphones on the {p} stutters every few seconds, especially while downloading.",
     "The 2.4 GHz Wi-Fi band and Bluetooth share the antenna. Connect to your router's 5 GHz network instead and "
     "the stutter goes. If it doesn't, remove the headphones in Bluetooth settings and pair them again.",
     ("bluetooth", "audio")),
    ("laptops", "{p} speakers crackle at high volume",
     "Above about 70% volume the speakers of my {p} crackle, in every app.",
     "Turn off *Audio enhancements* in Sound settings (device properties of the speakers) and reinstall the audio "
     "driver from the Nimbus support page. If it still crackles with enhancements off, it is a hardware fault: "
     "the speakers are covered by the warranty.", ("audio", "speakers")),
    ("laptops", "How do I turn on the battery charge limit on the {p}?",
     "I keep my {p} plugged in at my desk most days. Is there a way to stop it charging to 100%?",
     "Yes: Nimbus Control Center → Power → *Battery care*, and choose the 80% limit. It is the best setting for a "
     "laptop that lives on the charger; switch it off the day before a long trip.", ("battery", "settings")),
    ("laptops", "{p} screen flickers at low brightness",
     "At the lowest brightness settings the screen of my {p} flickers slightly. Above 30% it is fine.",
     "Update the graphics driver from the Nimbus support page, then turn off *Content adaptive brightness* in "
     "Display settings. If the flicker stays at low brightness after both, ask support for a panel check.",
     ("display", "drivers")),
    ("laptops", "Fingerprint reader not working on my {p} after a reset",
     "I reset my {p} and now Windows Hello says it can't find a fingerprint reader.",
     "The reset removed the reader's driver. Run Nimbus Update (or download the *Fingerprint sensor* driver from the "
     "support page), restart, and set up your fingerprint again in Sign-in options.", ("fingerprint", "drivers")),
    ("laptops", "{p} fan makes a rattling noise",
     "The fan of my {p} has started to rattle when it spins up. It sounds like something touches the blades.",
     "Usually dust or a loose hair in the fan. Blow short bursts of compressed air through the vents with the "
     "laptop off (hold the fan still with a toothpick through the grille). If it keeps rattling, the fan is a "
     "warranty part: don't open the case yourself.", ("fan", "noise")),
    ("laptops", "{p} keyboard types double letters",
     "Some keys on my {p} type their letter twice now and then, mostly E and space.",
     "Check *Filter keys* is off and set the repeat delay to long in Keyboard settings. Then turn the laptop "
     "upside down and blow compressed air under the keys. If the same keys keep doing it, support replaces the "
     "keyboard under warranty.", ("keyboard",)),
    ("laptops", "{p} won't boot past the Nimbus logo",
     "My {p} shows the Nimbus logo and then nothing happens. It has been like that for an hour.",
     "Hold the power button for 15 seconds, unplug everything, and start it again. If it still stops at the logo, "
     "press F11 at start-up to reach Nimbus Recovery and choose *Startup repair*; your files stay where they are.",
     ("boot", "recovery")),
    ("laptops", "No sound over HDMI from my {p}",
     "Picture on the TV is fine over HDMI, but the sound still comes from the {p}'s own speakers.",
     "Click the speaker icon in the taskbar, then the arrow next to the volume slider, and pick the TV as the "
     "output. Windows remembers it for next time. If the TV isn't listed, update the graphics driver, which "
     "carries the HDMI audio driver too.", ("hdmi", "audio")),
    ("laptops", "{p} battery health dropped fast in the first year",
     "Nimbus Control Center says my {p} battery is at 82% health after only a year.",
     "Batteries lose most in the first months and then level off, so 82% after a year is within the normal range. "
     "Turn on *Battery care* (80% limit) if it stays plugged in. Below 80% in the warranty period, support "
     "replaces it.", ("battery",)),
    ("laptops", "{p} webcam image is grainy in video calls",
     "In Teams and Zoom my {p} webcam looks grainy and dark, even in a bright room.",
     "Turn off the app's own *low light correction* and open the Camera app once to update the camera's settings. "
     "Also wipe the lens: a fingerprint on it is the most common cause. Light from in front of you helps more than "
     "any setting.", ("webcam", "video-calls")),
    ("laptops", "How do I update the BIOS on my {p} safely?",
     "Support suggested a BIOS update for my {p}. I've never done one; what can go wrong?",
     "Plug in the charger, close your apps and run Nimbus Update: it installs the BIOS on restart and takes about "
     "five minutes. Don't switch off while the progress bar shows. If BitLocker is on, keep your recovery key at "
     "hand, as it may ask for it once.", ("bios", "updates")),
    ("laptops", "{p} charges only with the original charger",
     "My phone's USB-C charger doesn't charge my {p} at all, though it should be compatible.",
     "The {p} needs a USB-C Power Delivery charger of at least 45 W; smaller ones are refused to protect the "
     "battery. Check the wattage on the phone charger: most are 20 to 30 W.", ("charger", "usb-c")),
    ("laptops", "{p} clock is wrong after every restart",
     "The time on my {p} is off by hours after every restart, and some websites say my clock is wrong.",
     "In Date & time settings turn on *Set time automatically* and *Set time zone automatically*, then press "
     "*Sync now*. If it is still wrong after a full shutdown, the BIOS update from Nimbus Update fixes it.",
     ("settings", "bios")),
    ("laptops", "{p} says \"plugged in, not charging\"",
     "The battery icon of my {p} says plugged in, not charging, and it stays at 80%.",
     "That is *Battery care* doing its job: it stops at 80% to protect the battery. Turn it off in Nimbus Control "
     "Center → Power if you need a full charge today.", ("battery", "charger")),
    ("laptops", "Can I use two external monitors with my {p}?",
     "I'd like to connect two monitors to my {p} at my desk. Which cables or dock do I need?",
     "Yes: one on HDMI and one on the USB-C port with DisplayPort, or both through a USB-C dock with two outputs. "
     "Set each up in Display settings → *Extend these displays*.", ("monitor", "usb-c")),
    ("laptops", "{p} is slow after the latest Windows update",
     "Since the last Windows update my {p} takes ages to open apps and the fan is always on.",
     "After a big update Windows re-indexes files for a day or two, which keeps the fan busy. If it's still slow "
     "after that, run Nimbus Update for the matching drivers and check Task Manager → Startup apps for anything new.",
     ("performance", "updates")),
    ("laptops", "How do I reset my {p} and keep my files?",
     "My {p} has become unreliable and I'd like to start fresh without losing my documents.",
     "Settings → System → Recovery → *Reset this PC* → *Keep my files*. Apps are removed, documents stay. Back up "
     "anyway first, and run Nimbus Update afterwards for the drivers.", ("recovery",)),
    ("laptops", "Wake on USB mouse not working on my {p}",
     "Moving my USB mouse doesn't wake my {p} from sleep any more; I have to press the power button.",
     "In Device Manager open the mouse under *Mice and other pointing devices*, Power Management tab, and tick "
     "*Allow this device to wake the computer*. Modern Standby also needs the USB port's own setting, under the "
     "USB Root Hub entries.", ("sleep", "usb")),
    ("laptops", "{p} lid sensor puts it to sleep while open",
     "My {p} sometimes goes to sleep by itself when I tilt the screen back.",
     "That is usually a magnet near the lid sensor (a phone case or a tablet cover). Keep magnets away from the "
     "palm rest's left side. If it happens with nothing nearby, support checks the sensor under warranty.",
     ("sleep", "hardware")),
    ("laptops", "Which memory upgrade fits the {p}?",
     "I'd like more memory in my {p}. What can I buy, and does it void the warranty?",
     "Check the spec sheet on the support page first: some models have memory soldered to the board. Where there "
     "is a slot, a DDR5 SO-DIMM from the compatible list fits, and an authorised service centre fits it without "
     "voiding the warranty.", ("memory", "upgrade")),
    ("laptops", "{p} microphone too quiet in calls",
     "People say they can hardly hear me in calls from my {p}, even with the microphone at 100%.",
     "Turn on *Voice focus* in Nimbus Control Center → Audio and check Sound settings → Input → the built-in "
     "microphone array is the default. Apps like Teams have their own input device setting too.",
     ("audio", "video-calls")),
    ("broadband", "Evening speeds far below {p} over Wi-Fi",
     "On {p} I get the full speed in the morning but a third of it in the evening over Wi-Fi. Cable is fine.",
     "Evenings are when your neighbours' Wi-Fi is busiest too. In the Hub 3 settings split the 2.4 and 5 GHz "
     "networks, use 5 GHz for the devices that need speed, and let the Hub pick the channel automatically at night.",
     ("wifi", "speed")),
    ("broadband", "Hub 3 restarts itself every night on {p}",
     "My Hub 3 on {p} restarts itself at about 3 am. Is that a fault?",
     "No: that is the nightly maintenance window, when firmware updates install. You can move it under *Hub "
     "settings → Maintenance* to a time that suits you better, but leave it on.", ("hub-3", "firmware")),
    ("broadband", "Port forwarding for a game server on {p}",
     "I want to host a game server at home on {p}. How do I forward a port on the Hub 3?",
     "Give the PC a reserved address under *Network → DHCP*, then add the rule under *Security → Port "
     "forwarding*. {p} gives you a public IPv4 address, so no carrier-grade NAT is in the way.",
     ("hub-3", "gaming")),
    ("broadband", "{p} connection drops for a few seconds every hour",
     "Video calls on {p} freeze for a few seconds about once an hour, on cable and Wi-Fi alike.",
     "Check the Hub 3 event log for *PPP session restarted*. If you see it hourly, restart the Hub with the fibre "
     "box switched off for a minute; if it continues, support can see the line's drops and send an engineer.",
     ("connection", "hub-3")),
    ("broadband", "Can I use my own router with {p}?",
     "I'd rather use my own mesh router than the Hub 3 on {p}. Is that allowed?",
     "Yes. Put the Hub 3 in *Modem mode* (Hub settings → Advanced) and connect your router to its first LAN port. "
     "Support only helps up to the Hub, but it works fine.", ("router", "hub-3")),
    ("broadband", "Devices can't see each other on {p}",
     "My printer and my laptop are both on the {p} Wi-Fi but the laptop can't find the printer.",
     "Turn off *Wi-Fi client isolation* in the Hub 3 settings (it is on for the guest network only by default, so "
     "check the printer isn't on the guest network).", ("wifi", "printer")),
    ("broadband", "IPv6 not working on my Hub 3 with {p}",
     "Test sites say I have no IPv6 on {p}. Isn't it supported?",
     "It is, but older Hub 3 firmware left it off. Update the firmware under *Hub settings → Firmware* and turn on "
     "IPv6 under *Network*; it takes effect after a restart.", ("ipv6", "hub-3")),
    ("broadband", "5 GHz Wi-Fi disappeared on {p}",
     "The 5 GHz network of my Hub 3 on {p} is gone; only the 2.4 GHz one shows.",
     "A firmware update can merge both bands into one name (*Smart Wi-Fi*). Your devices pick 5 GHz by "
     "themselves when close enough. To get separate names back, turn off Smart Wi-Fi under *Wi-Fi settings*.",
     ("wifi", "hub-3")),
    ("broadband", "High ping in online games in the evening on {p}",
     "My ping on {p} jumps from 10 to 80 ms in the evening while gaming on cable.",
     "If others at home stream at the same time, turn on *Gaming priority* for your console or PC in the Hub 3's "
     "QoS settings. If it happens with nobody else online, report it with a traceroute so support can check the route.",
     ("gaming", "speed")),
    ("broadband", "Hub 3 light flashing orange on {p}",
     "The light on my Hub 3 is flashing orange and there is no internet on {p}.",
     "Flashing orange means no signal from the fibre box. Check the fibre box's lights and the cable between them; "
     "restart both, fibre box first. If the fibre box shows a red LOS light, call support: it is a line fault.",
     ("hub-3", "outage")),
    ("broadband", "Smart TV keeps losing Wi-Fi on {p}",
     "My smart TV drops off the {p} Wi-Fi every evening, other devices are fine.",
     "Many TVs only handle the 2.4 GHz band well. Turn off Smart Wi-Fi so the TV stays on 2.4 GHz, or better, "
     "connect it with a cable or a powerline adapter.", ("wifi", "tv")),
    ("broadband", "How do I change the Wi-Fi password on {p}?",
     "I need to change the Wi-Fi password of my Hub 3 on {p}. Where is it?",
     "Sign in to the Hub at 192.168.1.1 with the admin password on the sticker, then *Wi-Fi settings → Security*. "
     "Every device has to reconnect with the new password afterwards.", ("wifi", "security")),
    ("broadband", "Upload speed much lower than expected on {p}",
     "Download on {p} is fine but upload is a tenth of what I expected.",
     "Check which upload speed your plan includes in My Nimbus: some plans are asymmetric. If your plan is "
     "symmetric, test on a cable with the Hub's built-in speed test and send the result to support.",
     ("speed",)),
    ("broadband", "Guest Wi-Fi for visitors on {p}",
     "How do I set up a separate Wi-Fi for visitors on my {p} Hub 3?",
     "*Wi-Fi settings → Guest network*: give it its own name and password and a time limit if you like. Guests "
     "then can't see your own devices.", ("wifi", "security")),
    ("broadband", "Mesh point not connecting to the Hub 3 on {p}",
     "My new Nimbus Mesh Point blinks white and never joins the {p} network.",
     "Bring it into the same room as the Hub, press the WPS button on the Hub and then the one on the Mesh Point "
     "within two minutes. Once it shows solid white, move it halfway to where you need Wi-Fi.",
     ("mesh", "wifi")),
    ("billing-accounts", "How do I switch to paperless billing on my {p}?",
     "I still get a paper bill for my {p} and pay a fee for it. How do I switch to e-mail?",
     "My Nimbus → *Billing → Bill delivery* → e-mail. The paper bill fee stops from the next bill.",
     ("invoices", "my-nimbus")),
    ("billing-accounts", "Charge I don't recognise on my {p} bill",
     "There is a line called *Service adjustment* on my {p} bill. What is it?",
     "It is usually a part month: the days between your start or change date and your usual billing date. My "
     "Nimbus → Billing shows each line's dates. If the dates don't match a change you made, ask here for private "
     "help so staff can look at your account.", ("invoices", "charges")),
    ("billing-accounts", "Discount missing from my {p} invoice",
     "I was promised a discount for the first six months of my {p} but the invoice shows the full price.",
     "Discounts start on the first full month, so the first (part) invoice often shows the full price and the "
     "next one credits it. If the second invoice doesn't show it either, staff can check your offer privately.",
     ("discounts", "invoices")),
    ("billing-accounts", "Can I pause my {p} while I'm abroad?",
     "I'm away for four months. Can I pause my {p} instead of paying for it?",
     "Yes, once a year for up to six months: My Nimbus → *Plan → Pause*. A small monthly fee keeps your number "
     "and contract; the contract end moves by the paused months.", ("plan", "my-nimbus")),
    ("billing-accounts", "How do I change the payment card for my {p}?",
     "My card expired and the {p} payment failed. Where do I add the new card?",
     "My Nimbus → *Billing → Payment method* → Replace card. The failed payment is retried within two days, with "
     "no late fee if it goes through then.", ("payments", "my-nimbus")),
    ("billing-accounts", "Upgrading my {p} mid-contract: will the price change?",
     "If I upgrade my {p} now, does my contract start again, and what do I pay?",
     "An upgrade starts a new minimum term at the new plan's price from the day it's active; the current month is "
     "split between the two. My Nimbus shows the exact price before you confirm.", ("plan", "contract")),
    ("billing-accounts", "Refund for an outage on my {p}?",
     "My {p} service was down for three days last week. Do I get anything back?",
     "Yes: outages over a day are credited automatically on the next bill, by the day. If it doesn't show there, "
     "ask for private help with the dates.", ("outage", "refunds")),
    ("billing-accounts", "VAT number on my {p} invoices",
     "I use my {p} for my business. Can I add my VAT number to the invoices?",
     "My Nimbus → *Account → Business details*. New invoices show it; for past ones, ask staff privately for "
     "reissued copies.", ("invoices", "business")),
    ("billing-accounts", "Moving house: what happens to my {p}?",
     "I'm moving next month. Can I take my {p} with me?",
     "If Nimbus serves the new address, yes: My Nimbus → *Moving home* at least two weeks before. The contract "
     "carries on; the installation at the new place is free.", ("moving", "contract")),
    ("billing-accounts", "Cancel my {p} at the end of the contract",
     "My {p} contract ends soon. How do I cancel without paying for an extra month?",
     "Give notice in My Nimbus → *Plan → Cancel* at least 30 days before the end date shown there. You get a "
     "confirmation e-mail; keep it.", ("contract", "cancelling")),
]

# Titles asked once and never answered yet (every community has some).
UNANSWERED: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("laptops", "Nimbus Air 13 hinge creaks when opening", "It creaks loudly when I open the lid. Anyone else?",
     ("hinge", "hardware")),
    ("laptops", "Linux on the Nimbus Book 14: does the fingerprint reader work?",
     "I'm thinking of installing Ubuntu. Has anyone got the fingerprint reader working?", ("linux", "fingerprint")),
    ("broadband", "Nimbus Fibre 1000 and a 2.5 Gb network card: worth it?",
     "Would a 2.5 Gb card in my PC get me more than 940 Mb/s on cable?", ("speed", "hardware")),
    ("broadband", "Hub 3 fan noise at night", "My Hub 3 hums at night. Is there a fan inside?", ("hub-3", "noise")),
    ("billing-accounts", "Student discount on the Fibre 150 plan?", "Is there a discount for students?",
     ("discounts",)),
    ("community-lounge", "What do you use the Nimbus Air 13 for?", "Curious what everyone uses theirs for!",
     ("nimbus-air-13",)),
]

# Who answers the older threads, how many of their answers are accepted, and the kudos each answer receives (in
# turn): enough, with what they earn in the recent threads, for Superfan Gold, Superfan, Expert and Helper.
HELPERS: list[tuple[str, int, tuple[int, ...]]] = [
    ("giorgos_p", 100, (8, 9, 9)),
    ("piotr_nowak", 24, (8, 9, 9)),
    ("sam_okafor", 9, (8, 9, 9)),
    ("lucy_h", 3, (4,)),
]
