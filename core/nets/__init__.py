"""Our own teaching nets (what torchvision does not build as the papers did)."""
