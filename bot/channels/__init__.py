"""Channel adapters: they translate between a platform and the conversation core, nothing more."""
