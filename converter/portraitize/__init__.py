"""portraitize: turn photographs of people into painted portraits, and paint new portraits from nothing."""

__version__ = "0.1.0"
