"""Image to SBOM: read each layer once, run catalogers per layer (cached), squash into the final inventory."""
