"""The wire contract: what the agent and the collector agree on, and the only part of ``agent``
that the collector, the server and the rules import.

- ``schema``: the report and enrollment messages (msgspec Structs), encoded and decoded strictly;
- ``signing``: the HMAC signature of a report and its headers;
- ``media``: the sealed files an offline PC carries on removable media;
- ``clock``: the one clock every part reads.
"""
