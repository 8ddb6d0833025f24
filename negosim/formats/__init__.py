"""The automated-negotiation field's file formats: GENIUS XML and GeniusWeb JSON, read and written; NegMAS YAML folders, read (``negosim import``/``export``)."""
