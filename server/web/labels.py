"""People's names for the report's sections, fields and coded values (agent/wire/schema.py), as catalog
message ids: ``N_`` only marks them for ``pybabel extract`` (babel.cfg); report_view translates them
when a page is rendered. A field is looked up as ``Struct.field`` first (where one name means
different things in different places), then as ``field``; a field missing here still shows, under
its own key. tests/web/test_report_labels.py walks the schema and fails on any field without a
label translated in every language."""

from __future__ import annotations

from agent.wire.schema import ReachKind, Transport


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    return message


SECTIONS = {
    "identity": N_("Identity"),
    "hardware": N_("Hardware"),
    "antivirus": N_("Antivirus"),
    "licence": N_("Licence"),
    "network": N_("Network"),
    "backup": N_("Data backup"),
    "certificates": N_("Digital-signature certificates"),
    "software": N_("Software"),
    "hardening": N_("Security settings"),
    "users": N_("Users of this computer"),
}

FIELDS = {
    # every section
    "errors": N_("Could not read"),
    "what": N_("What"),
    "reason": N_("Why"),
    # identity
    "agent_id": N_("Agent ID"),
    "machine_uid": N_("Machine ID"),
    "hostname": N_("Computer name"),
    "unit_code": N_("Unit code"),
    "os_name": N_("Operating system"),
    "os_version": N_("OS version"),
    "os_build": N_("OS build"),
    "boot_time": N_("Started at"),
    "agent_version": N_("Agent version"),
    "sequence": N_("Report number"),
    "collected_at": N_("Collected at (computer's clock)"),
    "transport": N_("Sends its reports"),
    "held_reports": N_("Reports held on the computer"),
    # hardware
    "manufacturer": N_("Manufacturer"),
    "model": N_("Model"),
    "serial": N_("Serial number"),
    "bios_release_date": N_("BIOS release date"),
    "cpu_model": N_("Processor (CPU)"),
    "cpu_cores": N_("CPU cores"),
    "ram_bytes": N_("Memory (RAM)"),
    "disks": N_("Disks"),
    "peripherals": N_("Scanners and printers"),
    "device": N_("Device"),
    "mountpoint": N_("Mounted at"),
    "fstype": N_("File system"),
    "total_bytes": N_("Size"),
    "free_bytes": N_("Free"),
    "media": N_("Disk type"),
    "health": N_("Health"),
    "kind": N_("Type"),
    "name": N_("Name"),
    "present": N_("Connected"),
    # antivirus
    "products": N_("Antivirus products"),
    "detections": N_("Recent detections"),
    "vendor": N_("Vendor"),
    "enabled": N_("Enabled"),
    "realtime_on": N_("Real-time protection"),
    "signatures_up_to_date": N_("Signatures up to date"),
    "signatures_date": N_("Signatures dated"),
    "signatures_age_days": N_("Signature age"),
    "signature_version": N_("Signature version"),
    "engine_version": N_("Engine version"),
    "state_raw": N_("Security Center state"),
    "threat": N_("Threat"),
    "path": N_("Path"),
    "detected_at": N_("Detected at"),
    "action": N_("Action taken"),
    # licence
    "os_activated": N_("Windows/OS activated"),
    "os_licence_status": N_("OS licence status"),
    "os_partial_key": N_("Product key (last 5 characters)"),
    "antivirus_licence_expires": N_("Antivirus licence expires"),
    "os_product": N_("Licensed product"),
    "os_licence_channel": N_("Licence channel"),
    "antivirus_licence_expired": N_("Antivirus licence expired"),
    "kms_host": N_("KMS activation server"),
    "kms_host_discovered": N_("KMS server found automatically (DNS)"),
    "antivirus_licences": N_("Antivirus licences"),
    "AntivirusLicence.product": N_("Product"),
    "AntivirusLicence.state": N_("Licence state"),
    "AntivirusLicence.expires": N_("Licence expires"),
    # network
    "interfaces": N_("Network interfaces"),
    "default_gateway": N_("Default gateway"),
    "dns_servers": N_("DNS servers"),
    "reachability": N_("Reachability"),
    "profiles": N_("Networks ever connected"),
    "reachability_status": N_("Reachability checks"),
    "evidence": N_("Signs of a network connection"),
    "mac": N_("MAC address"),
    "addresses": N_("Addresses"),
    "is_up": N_("Up"),
    "carrier": N_("Cable or signal connected"),
    "wireless": N_("Wireless"),
    "speed_mbps": N_("Speed"),
    "dhcp": N_("Address from DHCP"),
    "target": N_("Target"),
    "Reachability.kind": N_("Target type"),
    "method": N_("Method"),
    "reachable": N_("Reachable"),
    "latency_ms": N_("Latency"),
    "error": N_("Error"),
    "first_connected": N_("First connected"),
    "last_connected": N_("Last connected"),
    "source": N_("Read from"),
    "Evidence.kind": N_("Sign"),
    "detail": N_("Detail"),
    "seen_at": N_("When"),
    # backup
    "sources": N_("Backup sources"),
    "location": N_("Location"),
    "last_success": N_("Last successful backup"),
    "size_bytes": N_("Size"),
    # certificates
    "certificates": N_("Certificates"),
    "subject": N_("Holder (subject)"),
    "issuer": N_("Issued by"),
    "Certificate.serial": N_("Certificate serial"),
    "not_before": N_("Valid from"),
    "not_after": N_("Valid until"),
    "store": N_("Certificate store"),
    "key_usage": N_("Key usage"),
    # users
    "users": N_("Users"),
    "InteractiveUser.name": N_("Account"),
    "signed_in": N_("Signed in now"),
    "last_use": N_("Last used"),
    # software
    "programs": N_("Installed programs"),
    "version": N_("Version"),
    "publisher": N_("Publisher"),
    "installed_on": N_("Installed on"),
    "Program.name": N_("Program"),
    # hardening
    "firewall_enabled": N_("Firewall on (per profile)"),
    "last_os_update": N_("Last OS update"),
    "screen_lock_timeout_s": N_("Screen locks after"),
    "autorun_disabled": N_("AutoRun/AutoPlay disabled"),
    "smb1_enabled": N_("SMBv1 enabled"),
    "disk_encrypted": N_("Disk encrypted"),
    "local_accounts": N_("Local accounts"),
    "admin": N_("Administrator"),
    "last_logon": N_("Last sign-in"),
    "LocalAccount.name": N_("Account"),
}

VALUES = {
    # how an agent sends its reports
    Transport.HTTPS: N_("encrypted (HTTPS)"),
    Transport.HTTP: N_("unencrypted (plain HTTP)"),
    # reachability kinds (also the keys of reachability_status)
    ReachKind.GATEWAY: N_("LAN gateway"),
    ReachKind.INTERNET: N_("Internet"),
    ReachKind.DEDICATED_LINE: N_("Dedicated data line"),
    # reachability_status
    "probed": N_("checked"),
    "not configured": N_("not configured"),
    "disabled": N_("turned off"),
    "no gateway": N_("no gateway"),
    "not probed (offline role)": N_("not checked (offline PC)"),
    # peripherals, network profiles, backup sources
    "scanner": N_("scanner"),
    "printer": N_("printer"),
    "wired": N_("wired"),
    "mobile": N_("mobile network"),
    "folder": N_("folder"),
    "windows": N_("Windows Backup"),
    # disk health
    "healthy": N_("healthy"),
    "warning": N_("warning"),
    "unhealthy": N_("failing"),
    # offline-PC evidence
    "interface_up": N_("network interface up"),
    "default_route": N_("default route"),
    "dhcp_address": N_("address from DHCP"),
    "dhcp_lease": N_("DHCP lease"),
    "network_profile": N_("saved network profile"),
    "wifi_profile": N_("saved Wi-Fi profile"),
    # firewall profiles (Windows)
    "domain": N_("domain network"),
    "private": N_("private network"),
    "public": N_("public network"),
    # OS licence status (SoftwareLicensingProduct.LicenseStatus, agent/probes/licence.py)
    "unlicensed": N_("unlicensed"),
    "licensed": N_("licensed"),
    "oob_grace": N_("initial grace period"),
    "oot_grace": N_("grace period (hardware changed)"),
    "non_genuine_grace": N_("non-genuine grace period"),
    "notification": N_("notification mode (not activated)"),
    "extended_grace": N_("extended grace period"),
    # antivirus detection actions (agent/probes/antivirus.py THREAT_STATUS, ClamAV "found")
    "detected": N_("detected"),
    "cleaned": N_("cleaned"),
    "quarantined": N_("quarantined"),
    "removed": N_("removed"),
    "allowed": N_("allowed"),
    "blocked": N_("blocked"),
    "found": N_("found"),
    "clean failed": N_("clean failed"),
    "quarantine failed": N_("quarantine failed"),
    "remove failed": N_("remove failed"),
    "abandoned": N_("abandoned"),
    # where the agent read a PC's users (InteractiveUser.source, agent/probes/users.py)
    "session": N_("signed-in session"),
    "profile": N_("user profile"),
    "wtmp": N_("sign-in history (wtmp)"),
}
"""Coded values shown in words; only in the fields of VALUE_FIELDS (so a hostname that happens to
be "public" stays as it is)."""

VALUE_FIELDS = frozenset({"kind", "health", "reachability_status", "firewall_enabled", "os_licence_status",
                          "action", "transport", "source"})
