"""Building bundles: settings, the build pipeline and its cache, wheel tags, editable stamps."""
