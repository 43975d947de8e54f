"""The bundle format: trailer, manifest, yaml.v3 rendering and checks. Pure: bytes in, bytes out."""
