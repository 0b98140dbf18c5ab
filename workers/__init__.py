"""newsworker: streaming news enrichment (language, entities, events), Arabic-first."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsworker")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from workers import camel_charsets  # after __version__: the cache key reads package versions

camel_charsets.install()
