"""Demo content for `flask seed-demo`.

A fictional company's community (laptops, broadband, billing).
"""

from __future__ import annotations

# Every demo account uses it; printed by `make run`.
DEMO_PASSWORD = "demo-password-2026"


# Exactly four boards, in display order.
BOARDS: list[dict] = [
    {
        "slug": "laptops",
        "name": "Laptops",
        "description": (
            "Help with the Nimbus Book 14, Nimbus Book Pro 16 and Nimbus Air 13: setup, batteries, drivers and repairs."
        ),
        "position": 1,
    },
    {
        "slug": "broadband",
        "name": "Broadband & Wi-Fi",
        "description": ("Nimbus Fibre connections, the Nimbus Hub 3 router, Wi-Fi coverage and outages."),
        "position": 2,
    },
    {
        "slug": "billing-accounts",
        "name": "Billing & Accounts",
        "description": ("Invoices, payments, price changes and managing your account in My Nimbus."),
        "position": 3,
    },
    {
        "slug": "community-lounge",
        "name": "Community Lounge",
        "description": ("Introductions, feedback, tips and everything else the Nimbus community wants to talk about."),
        "position": 4,
    },
]


# One admin, two staff, two moderators and seven members.
USERS: list[dict] = [
    {
        "username": "alex_admin",
        "display_name": "Alex Morgan",
        "email": "alex.morgan@example.com",
        "role": "admin",
        "locale": "en",
        "bio": "Runs the Agora community platform for Nimbus.",
    },
    {
        "username": "nina_staff",
        "display_name": "Nina Zielińska (Nimbus)",
        "email": "nina.zielinska@example.com",
        "role": "staff",
        "locale": "pl",
        "bio": "Nimbus customer support team lead, broadband and billing.",
    },
    {
        "username": "yael_staff",
        "display_name": "Yael Ben-David (Nimbus)",
        "email": "yael.bendavid@example.com",
        "role": "staff",
        "locale": "he",
        "bio": "Nimbus laptop support engineer. I read every bug report, promise.",
    },
    {
        "username": "mod_elena",
        "display_name": "Elena Papadaki",
        "email": "elena.papadaki@example.org",
        "role": "moderator",
        "locale": "el",
        "bio": "Volunteer moderator and Nimbus Book Pro 16 owner since launch day.",
    },
    {
        "username": "mod_dritan",
        "display_name": "Dritan Hoxha",
        "email": "dritan.hoxha@example.org",
        "role": "moderator",
        "locale": "sq",
        "bio": "Network engineer by day, community moderator by night.",
    },
    {
        "username": "giorgos_p",
        "display_name": "Giorgos Pappas",
        "email": "giorgos.pappas@example.org",
        "role": "member",
        "locale": "el",
        "bio": "Accountant in Thessaloniki, Nimbus Book 14 user.",
    },
    {
        "username": "katarzyna_w",
        "display_name": "Katarzyna Wiśniewska",
        "email": "katarzyna.w@example.org",
        "role": "member",
        "locale": "pl",
        "bio": "Home-lab tinkerer with a NAS and too many cables.",
    },
    {
        "username": "piotr_nowak",
        "display_name": "Piotr Nowak",
        "email": "piotr.nowak@example.com",
        "role": "member",
        "locale": "pl",
        "bio": "Software developer, Nimbus Air 13 and Nimbus Fibre 900.",
    },
    {
        "username": "arben_k",
        "display_name": "Arben Krasniqi",
        "email": "arben.krasniqi@example.org",
        "role": "member",
        "locale": "sq",
        "bio": "Student in Tirana, mostly here for laptop tips.",
    },
    {
        "username": "noa_levi",
        "display_name": "Noa Levi",
        "email": "noa.levi@example.com",
        "role": "member",
        "locale": "he",
        "bio": "Graphic designer working from home on a Nimbus Book Pro 16.",
    },
    {
        "username": "sam_okafor",
        "display_name": "Sam Okafor",
        "email": "sam.okafor@example.com",
        "role": "member",
        "locale": "en",
        "bio": "Remote worker, gamer, occasional router whisperer.",
    },
    {
        "username": "lucy_h",
        "display_name": "Lucy Harper",
        "email": "lucy.harper@example.com",
        "role": "member",
        "locale": "en",
        "bio": "",
    },
]


# About 40 questions. `hours_ago` is when the question was asked; each answer's
# `minutes_after` counts from the question. Some questions are in Greek, Polish,
# Albanian and Hebrew, asked by members whose locale matches; those are marked `native`, and the seed
# gives them (and their answers) their author's locale as the post's language.
QUESTIONS: list[dict] = [
    {
        "board": "laptops",
        "author": "sam_okafor",
        "title": "Nimbus Book 14 battery drains overnight while the lid is closed",
        "body": (
            "I close the lid at 100% and by morning my Nimbus Book 14 is at 55-60%.\n"
            "It's on Windows 11 23H2 with BIOS 1.08, nothing plugged in over night.\n"
            "\n"
            "Is this normal for sleep mode, or is something keeping it awake?"
        ),
        "tags": ["battery", "sleep", "nimbus-book-14"],
        "hours_ago": 52,
        "answers": [
            {
                "author": "lucy_h",
                "body": (
                    "I had the same on my Book 14: it was Modern Standby keeping Wi-Fi "
                    "awake.\n"
                    "Run `powercfg /sleepstudy` in an admin terminal and open the HTML "
                    "report, it shows exactly which device was active during sleep."
                ),
                "minutes_after": 38,
            },
            {
                "author": "yael_staff",
                "body": (
                    "Thanks for the detailed report, Sam. BIOS 1.10 fixes a wake timer "
                    "bug that caused exactly this drain on the Book 14. You can "
                    "install it from *Nimbus Control Center → Updates*; keep the "
                    "charger plugged in while it runs.\n"
                    "\n"
                    "Kind regards,\n"
                    "Yael, Nimbus Support"
                ),
                "minutes_after": 190,
            },
            {
                "author": "sam_okafor",
                "body": "Updated to 1.10 last night: 97% this morning. Thank you both!",
                "minutes_after": 1260,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "lucy_h",
        "title": ("Nimbus Book Pro 16 fans at full speed since the latest Control Center update"),
        "body": (
            "Since updating Nimbus Control Center yesterday the fans on my Book Pro 16 "
            "never spin down, even on the desktop with nothing open.\n"
            "\n"
            "- Control Center version: 4.2.1\n"
            "- CPU usage in Task Manager: 2-4%\n"
            "- Temperatures look fine (around 45 °C)\n"
            "\n"
            "Anyone else? It sounds like a hair dryer."
        ),
        "tags": ["fans", "drivers", "nimbus-book-pro-16"],
        "hours_ago": 20,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "Check the power profile: the update reset mine to "
                    "**Performance**. Switching back to *Balanced* in Control Center "
                    "calmed the fans down straight away."
                ),
                "minutes_after": 24,
            },
            {
                "author": "yael_staff",
                "body": (
                    "Hi Lucy, this is a known issue in Control Center 4.2.1 on the "
                    "Book Pro 16. Version 4.2.3 with the fix is rolling out this week; "
                    "until then Piotr's workaround is the right one.\n"
                    "\n"
                    "Best wishes,\n"
                    "Yael, Nimbus Support"
                ),
                "minutes_after": 145,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "piotr_nowak",
        "title": "External monitor not detected over USB-C on my Nimbus Air 13",
        "body": (
            'My 27" monitor works fine with my work laptop, but when I plug it into '
            "the Nimbus Air 13 with the same USB-C cable nothing happens. Windows "
            "display settings only show one screen.\n"
            "\n"
            "Do I need a special cable or driver?"
        ),
        "tags": ["usb-c", "display", "nimbus-air-13"],
        "hours_ago": 310,
        "answers": [
            {
                "author": "sam_okafor",
                "body": (
                    "Which port are you using? On the Air 13 only the **left rear** "
                    "USB-C port supports DisplayPort Alt Mode; the right one is data "
                    "and charging only. The left one has the little display icon next "
                    "to it."
                ),
                "minutes_after": 17,
            },
            {
                "author": "piotr_nowak",
                "body": ("That was it, I was using the right-hand port. Works perfectly now, thanks!"),
                "minutes_after": 62,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "giorgos_p",
        "title": "Το Nimbus Book 14 μου δεν φορτίζει πάνω από 80%",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "Από την περασμένη εβδομάδα η μπαταρία σταματάει στο 80% και τα Windows "
            "δείχνουν `Plugged in, not charging`.\n"
            "\n"
            "- Φορτιστής: ο αυθεντικός USB-C 65W\n"
            "- BIOS: 1.08\n"
            "\n"
            "Είναι βλάβη της μπαταρίας ή κάποια ρύθμιση που άλλαξε μόνη της;"
        ),
        "tags": ["battery", "charging", "nimbus-book-14"],
        "hours_ago": 430,
        "answers": [
            {
                "author": "mod_elena",
                "body": (
                    "Δεν είναι βλάβη. Είναι η λειτουργία **Battery Care** του Nimbus "
                    "Control Center, που συχνά ενεργοποιείται ξανά μετά από "
                    "ενημερώσεις.\n"
                    "\n"
                    "Άνοιξε *Control Center → Ενέργεια* και διάλεξε «Πλήρης φόρτιση» "
                    "όταν χρειάζεσαι 100% για ταξίδι. Για καθημερινή χρήση στο "
                    "γραφείο, το 80% προστατεύει την μπαταρία."
                ),
                "minutes_after": 55,
            },
            {
                "author": "giorgos_p",
                "body": "Αυτό ήταν! Ευχαριστώ πολύ, Έλενα.",
                "minutes_after": 130,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "arben_k",
        "title": "Ndriçimi i tastierës së Nimbus Air 13 nuk ndizet pas përditësimit",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "Pas përditësimit të fundit të Windows-it, ndriçimi i tastierës nuk ndizet "
            "më. Kombinimi `Fn + F9` nuk bën asgjë.\n"
            "\n"
            "E kam rinisur kompjuterin dy herë. A e ka pasur dikush të njëjtin "
            "problem?"
        ),
        "tags": ["keyboard", "backlight", "nimbus-air-13"],
        "hours_ago": 650,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Po, ndodh kur përditësimi i Windows-it zëvendëson drejtuesin e "
                    "tastierës.\n"
                    "Hap *Nimbus Control Center → Përditësime* dhe instalo paketën "
                    "**Keyboard HID 2.3.1**. Pas rinisjes, `Fn + F9` duhet të "
                    "funksionojë përsëri."
                ),
                "minutes_after": 95,
            },
            {
                "author": "arben_k",
                "body": "Faleminderit shumë, u rregullua menjëherë!",
                "minutes_after": 240,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "lucy_h",
        "title": "Is it safe to upgrade the SSD in a Nimbus Book 14 myself?",
        "body": (
            "My Book 14 came with 512 GB and I'm running out of space. I'd like to put "
            "in a 2 TB NVMe drive.\n"
            "\n"
            "Does opening the bottom cover void the warranty, and is there anything I "
            "should know before buying a drive?"
        ),
        "tags": ["ssd", "upgrade", "warranty", "nimbus-book-14"],
        "hours_ago": 900,
        "answers": [
            {
                "author": "sam_okafor",
                "body": (
                    "Did exactly this last year. You need a T5 Torx driver for the "
                    "bottom screws and the slot is M.2 2280 PCIe 4.0. Clone the old "
                    "drive first with the recovery tool or you'll be reinstalling "
                    "Windows."
                ),
                "minutes_after": 44,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Hi Lucy, the SSD is a user-replaceable part on the Book 14, so "
                    "the warranty stays valid as long as nothing is damaged during the "
                    "swap. The guide is at "
                    "https://example.com/support/book-14/ssd-upgrade\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 310,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "katarzyna_w",
        "title": "Nimbus Book Pro 16 webcam shows only a black image in video calls",
        "body": (
            "The camera light turns on, but Teams and the Windows Camera app only show "
            "a black picture. Device Manager lists `Nimbus FHD Camera` without any "
            "warning.\n"
            "\n"
            "I already reinstalled the driver from Control Center. Any ideas?"
        ),
        "tags": ["webcam", "drivers", "nimbus-book-pro-16"],
        "hours_ago": 140,
        "answers": [
            {
                "author": "lucy_h",
                "body": (
                    "Silly question, but check the privacy shutter: on the Pro 16 it's "
                    "a tiny slider above the screen and it's really easy to nudge "
                    "closed when you open the lid."
                ),
                "minutes_after": 12,
            },
            {
                "author": "giorgos_p",
                "body": (
                    "If the shutter is open, also press `Fn + F10`: that's the camera "
                    "kill switch. With it on, the light still comes on but the image "
                    "is black."
                ),
                "minutes_after": 33,
            },
            {
                "author": "katarzyna_w",
                "body": "It was the shutter. I am slightly embarrassed. Thank you!",
                "minutes_after": 41,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "sam_okafor",
        "title": ("Trackpad registers random clicks while I'm typing on the Nimbus Air 13"),
        "body": (
            "When I type longer emails the cursor jumps and text ends up in the wrong "
            "place, as if my palm tapped the trackpad.\n"
            "\n"
            "Palm rejection is set to *Most sensitive* in Windows settings already. Is "
            "there a firmware setting for this?"
        ),
        "tags": ["trackpad", "nimbus-air-13"],
        "hours_ago": 6,
        "answers": [],
    },
    {
        "board": "laptops",
        "author": "piotr_nowak",
        "title": ("Which USB-C charger wattage do I need for a Nimbus Book Pro 16 while travelling?"),
        "body": (
            "The original 140W brick is heavy. I'd like a small GaN charger for "
            "trips.\n"
            "\n"
            "Will a 65W or 100W USB-C PD charger work, or will the laptop refuse to "
            "charge?"
        ),
        "tags": ["charging", "travel", "nimbus-book-pro-16"],
        "hours_ago": 1100,
        "answers": [
            {
                "author": "mod_elena",
                "body": (
                    "I use a 100W GaN charger with my Pro 16 every week. It charges "
                    "fine while working, just slower under heavy load. With 65W you "
                    "get a warning `Slow charger connected` and the battery may still "
                    "drain while gaming or exporting video."
                ),
                "minutes_after": 75,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "noa_levi",
        "title": ("Blue screen DRIVER_POWER_STATE_FAILURE after waking the Book Pro 16 from sleep"),
        "body": (
            "About once a day my Nimbus Book Pro 16 crashes when I open the lid:\n"
            "\n"
            "```\n"
            "Stop code: DRIVER_POWER_STATE_FAILURE\n"
            "What failed: NimbusWlan.sys\n"
            "```\n"
            "Wi-Fi driver is 23.40. Should I roll back?"
        ),
        "tags": ["drivers", "bsod", "sleep", "wi-fi"],
        "hours_ago": 75,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "I had the same on my Air 13 with 23.40. Rolling back to 23.30 in "
                    "Device Manager (*Driver → Roll Back Driver*) stopped the crashes "
                    "for me."
                ),
                "minutes_after": 48,
            },
            {
                "author": "yael_staff",
                "body": (
                    "Hi Noa, we've reproduced this in the lab. Driver 23.42 with the "
                    "fix is now in Control Center; please install it rather than "
                    "pausing updates indefinitely. If it happens again after that, let "
                    "us know in this thread.\n"
                    "\n"
                    "Best regards,\n"
                    "Yael, Nimbus Support"
                ),
                "minutes_after": 3100,
            },
        ],
    },
    {
        "board": "laptops",
        "author": "lucy_h",
        "title": "Nimbus Air 13 gets very hot on the left side only when charging",
        "body": (
            "When the charger is plugged in, the area above the left USB-C port gets "
            "uncomfortably hot, even when the laptop is idle. On battery it stays "
            "cool.\n"
            "\n"
            "Is this expected, or should I send it in for a check?"
        ),
        "tags": ["charging", "overheating", "nimbus-air-13"],
        "hours_ago": 3,
        "answers": [],
    },
    {
        "board": "laptops",
        "author": "giorgos_p",
        "title": "How do I create a recovery USB stick for my Nimbus Book 14?",
        "body": (
            "I want to have a recovery drive ready before I try a clean install. The "
            "Windows recovery tool says `We can't create a recovery drive on this "
            "PC`.\n"
            "\n"
            "Is there a Nimbus tool for this?"
        ),
        "tags": ["recovery", "windows", "nimbus-book-14"],
        "hours_ago": 1300,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Yes, use the **Nimbus Recovery Creator** instead of the Windows "
                    "tool. You need a 32 GB stick, and the download is tied to your "
                    "serial number. Details: https://example.com/support/recovery-usb"
                ),
                "minutes_after": 260,
            },
            {
                "author": "sam_okafor",
                "body": (
                    "Tip: the download is about 14 GB, so do it on a wired connection. "
                    "Mine failed twice over Wi-Fi before I plugged in."
                ),
                "minutes_after": 400,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "sam_okafor",
        "title": "Nimbus Hub 3 drops Wi-Fi every evening around 8pm",
        "body": (
            "Every evening between 8 and 10pm all wireless devices lose connection for "
            "a minute or two. Wired devices stay online.\n"
            "\n"
            "- Plan: Nimbus Fibre 500\n"
            "- Router: Nimbus Hub 3, firmware 3.4.1\n"
            "- About 20 devices connected\n"
            "\n"
            "What can I check before calling support?"
        ),
        "tags": ["wi-fi", "nimbus-hub-3", "dropouts"],
        "hours_ago": 28,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "Sounds like channel congestion when all the neighbours get home. "
                    "Open the Hub 3 admin page and change the 2.4 GHz channel from "
                    "*Auto* to 1, 6 or 11, whichever is least busy in a Wi-Fi analyser "
                    "app."
                ),
                "minutes_after": 22,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Hi Sam, Piotr's tip is a good first step. Firmware 3.4.2 also "
                    "improves auto channel selection and should reach your Hub 3 "
                    "automatically this week. If drops continue after that, start a "
                    "chat in My Nimbus and we'll run a line test.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 180,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "lucy_h",
        "title": "Red light on my Nimbus Hub 3 after a power cut this morning",
        "body": (
            "We had a short power cut and since then the light on the front of the Hub "
            "3 is solid red and there's no internet at all.\n"
            "\n"
            "I've already turned it off and on again twice. Is the router broken?"
        ),
        "tags": ["nimbus-hub-3", "outage", "fibre"],
        "hours_ago": 200,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Solid red usually means no signal on the fibre (`LOS`), not a "
                    "broken router. Check the white box on the wall, the optical "
                    "terminal: if its PON light is off, switch it off for 30 seconds "
                    "too. After power cuts it's often the terminal that didn't come "
                    "back properly."
                ),
                "minutes_after": 15,
            },
            {
                "author": "lucy_h",
                "body": ("The wall box was the culprit. Restarted it and we're back online!"),
                "minutes_after": 35,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "katarzyna_w",
        "title": "Jak ustawić przekierowanie portów na Nimbus Hub 3?",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "Mam w domu serwer NAS i chcę mieć do niego dostęp z zewnątrz. W panelu "
            "Hub 3 dodałam regułę dla portu 443 w zakładce *Zaawansowane*, ale z "
            "zewnątrz nadal dostaję `Connection timed out`.\n"
            "\n"
            "Czy Nimbus Fibre blokuje jakieś porty albo używa CGNAT?"
        ),
        "tags": ["port-forwarding", "nimbus-hub-3", "cgnat"],
        "hours_ago": 560,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "Miałem to samo. Nowe łącza Nimbus Fibre domyślnie są za CGNAT. "
                    "Sprawdź, czy adres WAN w panelu Hub 3 zaczyna się od `100.64`. "
                    "Jeśli tak, przekierowanie portów nie zadziała."
                ),
                "minutes_after": 40,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Dzień dobry! Publiczny adres IPv4 można włączyć bezpłatnie w My "
                    "Nimbus: *Usługi → Nimbus Fibre → Publiczny adres IP*. Zmiana "
                    "zaczyna działać po restarcie Hub 3, zwykle w ciągu godziny.\n"
                    "\n"
                    "Pozdrawiam serdecznie,\n"
                    "Nina z zespołu Nimbus"
                ),
                "minutes_after": 210,
            },
            {
                "author": "katarzyna_w",
                "body": "Działa! Dziękuję wam obojgu.",
                "minutes_after": 400,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "giorgos_p",
        "title": "Χαμηλή ταχύτητα Wi-Fi με Nimbus Fibre 500 και Nimbus Hub 3",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "Με καλώδιο παίρνω περίπου 480 Mbps, αλλά μέσω Wi-Fi στο σαλόνι δεν "
            "ξεπερνάω τα 90 Mbps. Το router είναι στον διάδρομο, περίπου 8 μέτρα "
            "μακριά, με δύο τοίχους στη μέση.\n"
            "\n"
            "Υπάρχει κάποια ρύθμιση στο Hub 3 που βοηθάει ή χρειάζομαι αναμεταδότη;"
        ),
        "tags": ["wi-fi", "speed", "nimbus-hub-3"],
        "hours_ago": 760,
        "answers": [
            {
                "author": "mod_elena",
                "body": (
                    "Δοκίμασε πρώτα να συνδεθείς στο δίκτυο των 5 GHz. Στο Hub 3 "
                    "μπορείς να χωρίσεις τις δύο ζώνες από *Ρυθμίσεις → Wi-Fi → Band "
                    "steering*. Με δύο τοίχους στη μέση, τα 90 Mbps στα 2,4 GHz είναι "
                    "δυστυχώς αναμενόμενα.\n"
                    "\n"
                    "Αν δεν βελτιωθεί, ένα σημείο πρόσβασης mesh στο σαλόνι θα κάνει "
                    "μεγάλη διαφορά."
                ),
                "minutes_after": 120,
            },
            {
                "author": "giorgos_p",
                "body": "Με τα 5 GHz έφτασα τα 310 Mbps στο σαλόνι. Ευχαριστώ!",
                "minutes_after": 300,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "noa_levi",
        "title": "האינטרנט מתנתק כל כמה דקות מאז שעברתי ל-Nimbus Fibre",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "מאז ההתקנה בשבוע שעבר החיבור נופל בערך כל עשר דקות, גם בכבל וגם "
            "ב-Wi-Fi.\n"
            "\n"
            "בממשק של Nimbus Hub 3 מופיעה ההודעה `PPP session terminated`, והנורית של "
            "האינטרנט מהבהבת בכתום לכמה שניות ואז חוזרת ללבן.\n"
            "\n"
            "מישהו נתקל בזה?"
        ),
        "tags": ["dropouts", "fibre", "nimbus-hub-3"],
        "hours_ago": 350,
        "answers": [
            {
                "author": "yael_staff",
                "body": (
                    "היי נועה, תודה על הפירוט! ההודעה הזו מצביעה בדרך כלל על בעיה בסיב "
                    "עצמו או בשקע בקיר. בימים האחרונים הייתה תקלה מוכרת בכמה אזורים, "
                    "והיא תוקנה הבוקר.\n"
                    "\n"
                    "אם זה עדיין קורה מחר, פתחי פנייה בצ'אט ב-My Nimbus ונשלח טכנאי "
                    "ללא עלות.\n"
                    "\n"
                    "בברכה,\n"
                    "יעל, צוות Nimbus"
                ),
                "minutes_after": 85,
            },
            {
                "author": "noa_levi",
                "body": "מאז הבוקר החיבור יציב לגמרי. תודה רבה!",
                "minutes_after": 1500,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "piotr_nowak",
        "title": "Can I use my own router instead of the Nimbus Hub 3?",
        "body": (
            "I already have a mesh system I like and would rather not double-NAT "
            "behind the Hub 3.\n"
            "\n"
            "Does Nimbus Fibre allow third-party routers, and what settings do I need?"
        ),
        "tags": ["router", "nimbus-hub-3", "fibre"],
        "hours_ago": 1000,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Yes, it works. Connect your router's WAN port to the optical "
                    "terminal and use:\n"
                    "```\n"
                    "Connection type: PPPoE, VLAN ID: 10\n"
                    "MTU: 1492\n"
                    "```\n"
                    "Your PPPoE username and password are in My Nimbus under *Services "
                    "→ Fibre*."
                ),
                "minutes_after": 50,
            },
            {
                "author": "sam_okafor",
                "body": (
                    "Keep the Hub 3 boxed up somewhere though: support will ask you to "
                    "plug it back in before they run any line tests."
                ),
                "minutes_after": 170,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "arben_k",
        "title": "Speed test shows only 300 Mbps on my 900 Mbps Nimbus Fibre plan",
        "body": (
            "I upgraded to Nimbus Fibre 900 last week, but speed tests on my desktop "
            "still show around 300 Mbps down. The PC is connected with a cable to the "
            "Hub 3.\n"
            "\n"
            "Did the upgrade not go through?"
        ),
        "tags": ["speed", "fibre", "upgrade"],
        "hours_ago": 120,
        "answers": [
            {
                "author": "katarzyna_w",
                "body": (
                    "Check the cable and the network card first. If Windows shows the "
                    "link as `100 Mbps` or the cable is an old Cat5, you'll never see "
                    "full speed. I got from 280 to 890 just by swapping to a Cat6 "
                    "cable."
                ),
                "minutes_after": 30,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Hi Arben, you can confirm your current plan in My Nimbus under "
                    "*Services*. Upgrades become active after the Hub 3 restarts, so "
                    "if it hasn't rebooted since the upgrade, please restart it "
                    "once.\n"
                    "\n"
                    "Best regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 240,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "lucy_h",
        "title": "How do I set up a guest Wi-Fi network on the Nimbus Hub 3?",
        "body": (
            "Family is visiting next week and I'd rather not hand out my main Wi-Fi "
            "password.\n"
            "\n"
            "Is there a guest network option on the Hub 3, and can I limit it to a few "
            "days?"
        ),
        "tags": ["wi-fi", "guest-network", "nimbus-hub-3"],
        "hours_ago": 1400,
        "answers": [
            {
                "author": "giorgos_p",
                "body": (
                    "Yes: open the admin page at `http://192.168.1.1`, go to *Wi-Fi → "
                    "Guest network* and switch it on. You can set it to turn off "
                    "automatically after 1, 3 or 7 days, and guests can't see your "
                    "other devices."
                ),
                "minutes_after": 65,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "sam_okafor",
        "title": "Nimbus Hub 3 firmware 3.4.2 broke my mesh extenders",
        "body": (
            "After the automatic update to 3.4.2 last night my two mesh extenders keep "
            "showing `Backhaul not found` and reconnect every few minutes. On 3.4.1 "
            "they were rock solid.\n"
            "\n"
            "Is there a way to roll back the firmware?"
        ),
        "tags": ["firmware", "mesh", "nimbus-hub-3"],
        "hours_ago": 2,
        "answers": [],
    },
    {
        "board": "broadband",
        "author": "katarzyna_w",
        "title": "Installation engineer never arrived for my Nimbus Fibre appointment",
        "body": (
            "My installation was booked for yesterday between 8am and 1pm. I took the "
            "morning off work and nobody came, and there was no message either.\n"
            "\n"
            "The appointment still shows as *Confirmed* in My Nimbus. What's the best "
            "way to rebook and is there any compensation?"
        ),
        "tags": ["installation", "fibre", "appointment"],
        "hours_ago": 460,
        "answers": [
            {
                "author": "nina_staff",
                "body": (
                    "I'm really sorry about this, Katarzyna. Please start a chat in My "
                    "Nimbus and mention *missed appointment*: the team can rebook you "
                    "and add the missed-appointment credit to your next bill. No need "
                    "to share any details here.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 95,
            },
            {
                "author": "lucy_h",
                "body": (
                    "Same happened to me in January. I got a credit on my first bill "
                    "and the new engineer came two days later, so it does get sorted."
                ),
                "minutes_after": 150,
            },
        ],
    },
    {
        "board": "broadband",
        "author": "noa_levi",
        "title": "IPv6 not working on Nimbus Fibre, only an IPv4 address assigned",
        "body": (
            "test-ipv6 sites give me 0/10 and the Hub 3 status page shows `IPv6: Not "
            "connected`. IPv6 is enabled in the Hub 3 settings.\n"
            "\n"
            "Is IPv6 available on Nimbus Fibre yet, or do I need to ask for it?"
        ),
        "tags": ["ipv6", "fibre", "nimbus-hub-3"],
        "hours_ago": 9,
        "answers": [],
    },
    {
        "board": "broadband",
        "author": "giorgos_p",
        "title": "Smart TV can't see the 5 GHz network from my Nimbus Hub 3",
        "body": (
            "My phone and laptop connect to the 5 GHz network without problems, but "
            "the living room TV (about 5 years old) only lists the 2.4 GHz network.\n"
            "\n"
            "Is there something on the Hub 3 I can change?"
        ),
        "tags": ["wi-fi", "5ghz", "nimbus-hub-3"],
        "hours_ago": 830,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "Older TVs often don't support DFS channels. The Hub 3 picks "
                    "channels like 100 or 116 on *Auto*. Set the 5 GHz channel "
                    "manually to 36, 40, 44 or 48 and the TV should see it."
                ),
                "minutes_after": 110,
            },
            {
                "author": "mod_elena",
                "body": (
                    "+1 to Piotr. Also check the TV's Wi-Fi country setting: if it's "
                    "set to the wrong region it hides some channels."
                ),
                "minutes_after": 200,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "sam_okafor",
        "title": "I was charged twice for my March bill, what should I do?",
        "body": (
            "My banking app shows two identical payments to Nimbus on the same day for "
            "the March bill, but My Nimbus only shows one payment.\n"
            "\n"
            "Has anyone had this? Will the second one be refunded automatically?"
        ),
        "tags": ["double-charge", "payment", "refund"],
        "hours_ago": 44,
        "answers": [
            {
                "author": "lucy_h",
                "body": (
                    "Had this once. The second one was only a pending authorisation "
                    "from a failed card retry and it disappeared after 4 days without "
                    "me doing anything."
                ),
                "minutes_after": 26,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Hi Sam, please don't post any account or card details here. If "
                    "the second payment is still there after 5 working days, start a "
                    "chat in My Nimbus under *Help → Billing* and we'll refund it "
                    "straight away.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 140,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "lucy_h",
        "title": "Invoice for last month never arrived by email",
        "body": (
            "I usually get an email with my invoice on the 3rd of each month, but "
            "nothing came this time. It's not in spam either.\n"
            "\n"
            "I need the PDF for my expenses. Where else can I find it?"
        ),
        "tags": ["invoice", "email", "my-nimbus"],
        "hours_ago": 260,
        "answers": [
            {
                "author": "piotr_nowak",
                "body": (
                    "All invoices are in My Nimbus under *Billing → Invoices*, you can "
                    "download the PDF there even if the email never arrived."
                ),
                "minutes_after": 18,
            },
            {
                "author": "yael_staff",
                "body": (
                    "Hi Lucy, a batch of invoice emails was delayed on the 3rd; they "
                    "were re-sent yesterday. Also check that your contact address "
                    "under *Profile → Notifications* is still current.\n"
                    "\n"
                    "All the best,\n"
                    "Yael, Nimbus Support"
                ),
                "minutes_after": 420,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "piotr_nowak",
        "title": "Can I move my monthly payment date to after payday?",
        "body": (
            "My direct debit goes out on the 1st, but I get paid on the 10th.\n"
            "\n"
            "Is it possible to change the payment date, and does it cost anything?"
        ),
        "tags": ["payment-date", "direct-debit"],
        "hours_ago": 700,
        "answers": [
            {
                "author": "nina_staff",
                "body": (
                    "Hi Piotr, yes: in My Nimbus go to *Billing → Payment settings → "
                    "Change date*. You can pick any day between the 1st and the 28th, "
                    "free of charge. The next bill may be slightly higher or lower "
                    "because it covers a partial period.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 160,
            },
            {
                "author": "arben_k",
                "body": "Did this last month, it took effect from the next bill. Easy.",
                "minutes_after": 230,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "katarzyna_w",
        "title": "Przeprowadzam się – czy mogę przenieść Nimbus Fibre na nowy adres?",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "W przyszłym miesiącu przeprowadzam się do innej dzielnicy, a umowa kończy "
            "mi się dopiero za rok.\n"
            "\n"
            "- Czy za przeniesienie usługi jest jakaś opłata?\n"
            "- Czy muszę oddać Nimbus Hub 3, czy zabieram go ze sobą?\n"
            "\n"
            "Wolę zapytać tutaj, zanim napiszę do obsługi klienta."
        ),
        "tags": ["moving-house", "contract", "fibre"],
        "hours_ago": 980,
        "answers": [
            {
                "author": "nina_staff",
                "body": (
                    "Dzień dobry! Przeprowadzkę zgłasza się w My Nimbus w zakładce "
                    "*Konto → Przeprowadzka*, najlepiej co najmniej 14 dni wcześniej. "
                    "Jeśli pod nowym adresem jest dostępny światłowód Nimbus, "
                    "przeniesienie jest bezpłatne, a umowa trwa dalej bez zmian. Hub 3 "
                    "zabiera Pani ze sobą.\n"
                    "\n"
                    "Pozdrawiam,\n"
                    "Nina z zespołu Nimbus"
                ),
                "minutes_after": 130,
            },
            {
                "author": "piotr_nowak",
                "body": (
                    "U mnie technik przyszedł dzień po przeprowadzce i po godzinie "
                    "wszystko działało. Warto wcześniej sprawdzić nowy adres na mapie "
                    "zasięgu."
                ),
                "minutes_after": 260,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "arben_k",
        "title": "Pse u rrit çmimi i abonimit tim të Nimbus Fibre këtë muaj?",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "Fatura e këtij muaji është 3 € më e lartë se zakonisht, por nuk e kam "
            "ndryshuar paketën. Nuk më kujtohet të kem marrë ndonjë njoftim.\n"
            "\n"
            "A është rritje e përgjithshme e çmimeve apo gabim në faturë?"
        ),
        "tags": ["price-rise", "invoice", "fibre"],
        "hours_ago": 590,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Nuk është gabim: nga 1 prilli Nimbus i rriti çmimet për të gjitha "
                    "paketat Fibre. Njoftimi u dërgua te *Mesazhet* në My Nimbus, jo "
                    "me email, prandaj shumë njerëz nuk e panë.\n"
                    "\n"
                    "Nëse rritja është më e madhe se sa lejon kontrata jote, mund ta "
                    "anulosh pa penalitet brenda 30 ditëve."
                ),
                "minutes_after": 70,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "noa_levi",
        "title": "Price rise letter: can I leave my contract without an exit fee?",
        "body": (
            "I got a message in My Nimbus saying my broadband goes up by €4 a month "
            "from next month. I'm 8 months into a 24-month contract.\n"
            "\n"
            "Does a mid-contract price rise give me the right to cancel for free?"
        ),
        "tags": ["price-rise", "contract", "cancellation"],
        "hours_ago": 610,
        "answers": [
            {
                "author": "mod_elena",
                "body": (
                    "It depends on whether the rise was in your contract terms. Look "
                    "for the *Annual price change* section in your contract summary in "
                    "My Nimbus: if the rise is bigger than what's listed there, you "
                    "can cancel without a fee."
                ),
                "minutes_after": 90,
            },
            {
                "author": "yael_staff",
                "body": (
                    "Elena is right. If you're eligible, the message itself has a "
                    "*Cancel without fee* button, valid for 30 days after the notice. "
                    "If you don't see it, our billing team can check your case "
                    "privately through the chat in My Nimbus.\n"
                    "\n"
                    "Kind regards,\n"
                    "Yael, Nimbus Support"
                ),
                "minutes_after": 3300,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "giorgos_p",
        "title": "How do I download all my invoices as PDFs for my accountant?",
        "body": (
            "My accountant needs every Nimbus invoice from last year. Downloading them "
            "one by one from My Nimbus takes ages.\n"
            "\n"
            "Is there a bulk export somewhere?"
        ),
        "tags": ["invoice", "pdf", "my-nimbus"],
        "hours_ago": 1200,
        "answers": [
            {
                "author": "katarzyna_w",
                "body": (
                    "There is, it's just hidden: *Billing → Invoices → ⋯ → Export "
                    "year*. You get a ZIP with one PDF per month plus a CSV summary."
                ),
                "minutes_after": 300,
            },
            {
                "author": "alex_admin",
                "body": (
                    "I've added this to the billing FAQ since it comes up a lot: "
                    "https://example.com/agora/faq/billing#export"
                ),
                "minutes_after": 3600,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "lucy_h",
        "title": "Direct debit failed this month: will my service be suspended?",
        "body": (
            "I changed banks and forgot to update my direct debit. My Nimbus now shows "
            "`Payment failed – action required`.\n"
            "\n"
            "How long do I have before my broadband is cut off?"
        ),
        "tags": ["direct-debit", "payment", "my-nimbus"],
        "hours_ago": 95,
        "answers": [
            {
                "author": "sam_okafor",
                "body": (
                    "You have time, don't panic. When this happened to me I got two "
                    "reminders over about two weeks before anything happened. Add the "
                    "new bank details under *Billing → Payment method* and use *Pay "
                    "now* for the failed bill."
                ),
                "minutes_after": 20,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Sam's steps are exactly right. Service is never suspended without "
                    "several reminders first, and paying within 14 days means no late "
                    "fee.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 115,
            },
        ],
    },
    {
        "board": "billing-accounts",
        "author": "sam_okafor",
        "title": "Still billed for laptop protection plan after cancelling it",
        "body": (
            "I cancelled the Nimbus Care plan for my old Book 14 in February and got a "
            "confirmation message, but it's still on my last two invoices as `Nimbus "
            "Care Plus – 6.99`.\n"
            "\n"
            "Is this a known issue? I'd like to understand before I ask for a refund."
        ),
        "tags": ["invoice", "cancellation", "refund"],
        "hours_ago": 14,
        "answers": [],
    },
    {
        "board": "community-lounge",
        "author": "lucy_h",
        "title": "Hi from a new Nimbus Air 13 owner: any must-have settings?",
        "body": (
            "Just switched from an old desktop to a Nimbus Air 13. Loving it so far!\n"
            "\n"
            "What settings or apps did you change first? Battery, display, anything."
        ),
        "tags": ["introductions", "tips", "nimbus-air-13"],
        "hours_ago": 1380,
        "answers": [
            {
                "author": "sam_okafor",
                "body": (
                    "Welcome! My list:\n"
                    "\n"
                    "- Turn on **Battery Care** (80% limit) if it's plugged in most of "
                    "the day\n"
                    "- Set the display to 120 Hz only when plugged in\n"
                    "- Uninstall the trial antivirus and use the built-in one"
                ),
                "minutes_after": 45,
            },
            {
                "author": "giorgos_p",
                "body": (
                    "And update everything in Control Center on day one; the launch "
                    "firmware had a few sleep bugs that are fixed now."
                ),
                "minutes_after": 180,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "noa_levi",
        "title": "היי לכולם! משתמשת חדשה ב-Nimbus Book Pro 16 מתל אביב",
        "native": True,  # written in its author's language (and answered in it)
        "body": (
            "שלום, אני נועה, מעצבת גרפית. קניתי לפני חודש Nimbus Book Pro 16 ואני מאוד "
            "מרוצה מהמסך.\n"
            "\n"
            "יש לכם טיפים להגדרת צבעים מדויקים לעבודה בפוטושופ? באיזה פרופיל צבע אתם "
            "משתמשים?"
        ),
        "tags": ["introductions", "display", "nimbus-book-pro-16"],
        "hours_ago": 1250,
        "answers": [
            {
                "author": "yael_staff",
                "body": (
                    "ברוכה הבאה, נועה! ב-Nimbus Control Center יש מצב תצוגה **Display "
                    "P3** שמתאים לעבודה גרפית. כדאי גם לכבות את *בהירות אדפטיבית*, כדי "
                    "שהצבעים לא ישתנו לפי התאורה בחדר.\n"
                    "\n"
                    "בהצלחה,\n"
                    "יעל, צוות Nimbus"
                ),
                "minutes_after": 240,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "piotr_nowak",
        "title": "Feature request: dark mode for the My Nimbus app and website",
        "body": (
            "I check my data usage late in the evening and the bright white My Nimbus "
            "pages are painful. Everything else on my phone is in dark mode.\n"
            "\n"
            "Would anyone else like this? Upvote if so!"
        ),
        "tags": ["feedback", "feature-request", "my-nimbus"],
        "hours_ago": 400,
        "answers": [
            {
                "author": "katarzyna_w",
                "body": ("Yes please. A bigger font option for the bills page would be nice too."),
                "minutes_after": 35,
            },
            {
                "author": "nina_staff",
                "body": (
                    "Thanks Piotr, I've passed this thread on to the My Nimbus product "
                    "team. Dark mode is on their roadmap, and I'll post here when "
                    "there's a beta.\n"
                    "\n"
                    "Kind regards,\n"
                    "Nina, Nimbus Support"
                ),
                "minutes_after": 600,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "sam_okafor",
        "title": ("Share your best tips for Wi-Fi coverage in an old house with thick walls"),
        "body": (
            "Our house has thick stone walls and the Hub 3 barely reaches the "
            "kitchen.\n"
            "\n"
            "Before I spend money on gadgets, what actually worked for you?"
        ),
        "tags": ["tips", "wi-fi", "mesh"],
        "hours_ago": 1000,
        "answers": [
            {
                "author": "mod_dritan",
                "body": (
                    "Move the Hub 3 off the floor and out of cupboards first; height "
                    "matters more than people think. After that, a wired mesh backhaul "
                    "beats any wireless extender in a stone house."
                ),
                "minutes_after": 60,
            },
            {
                "author": "lucy_h",
                "body": (
                    "Powerline adapters worked surprisingly well for us, as long as "
                    "both are on the same circuit. Cheap way to get a cable to the far "
                    "rooms."
                ),
                "minutes_after": 150,
            },
            {
                "author": "arben_k",
                "body": ("Mesh with an Ethernet cable along the skirting boards. Ugly but perfect."),
                "minutes_after": 400,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "katarzyna_w",
        "title": "Has anyone used the Nimbus trade-in scheme for an old laptop?",
        "body": (
            "I have an old Nimbus Book 14 (first generation) that still works but has "
            "a tired battery.\n"
            "\n"
            "Is the trade-in value worth it, or is selling it privately better?"
        ),
        "tags": ["trade-in", "recycling", "nimbus-book-14"],
        "hours_ago": 870,
        "answers": [
            {
                "author": "giorgos_p",
                "body": (
                    "I traded in mine in autumn. The offer was a bit lower than "
                    "selling it myself, but they wipe the drive and recycle it "
                    "properly, and it was zero hassle. The quote form is at "
                    "https://example.com/trade-in"
                ),
                "minutes_after": 3400,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "arben_k",
        "title": "Is there a Nimbus community meetup planned this year?",
        "body": (
            "It would be great to meet some of you in person.\n"
            "\n"
            "Has Nimbus ever organised a meetup for forum members, maybe together with "
            "a product launch?"
        ),
        "tags": ["meetup", "community"],
        "hours_ago": 330,
        "answers": [
            {
                "author": "alex_admin",
                "body": (
                    "Good timing, Arben: we're planning a first community day this "
                    "autumn. Details will be announced in this board first, so keep an "
                    "eye on it."
                ),
                "minutes_after": 3000,
            },
        ],
    },
    {
        "board": "community-lounge",
        "author": "giorgos_p",
        "title": "What laptop bag fits a Nimbus Book Pro 16 plus the charger?",
        "body": (
            "Most 16\" bags I've tried are too tight once the 140W charger is in the "
            "front pocket. Looking for something that also fits a few A4 folders.\n"
            "\n"
            "Any recommendations from Pro 16 owners?"
        ),
        "tags": ["accessories", "nimbus-book-pro-16"],
        "hours_ago": 30,
        "answers": [],
    },
]
