"""The PySide6 operator console. Only this package imports Qt."""
