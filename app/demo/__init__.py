"""The demo community: its data, the loader that builds it through the services, and `flask seed-demo`."""
