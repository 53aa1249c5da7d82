"""Remote vehicle inspection: the Qt-free core.

Domain model, checklists, storage, quality analysis, the live link (WebRTC
engine and phone-facing server), reports and the command line. Nothing in
this package imports PySide6 or ``ui``.
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use, and nothing imported before: reading the package
    # metadata takes a fifth of a second, during which a Ctrl-C would end in a
    # traceback before the command line could catch it.
    if name != "__version__":
        raise AttributeError(f"module 'inspector' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("vehicle-inspector")
    except PackageNotFoundError:  # running from a source tree without install
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
