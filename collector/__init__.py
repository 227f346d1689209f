"""The collector: receives and verifies reports, stores them, looks at the network itself."""
