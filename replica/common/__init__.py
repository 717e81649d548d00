"""The foundation layer: user errors, file checks, argument types, time budgets and the
plug-in loader.  It imports nothing else from replica, so every package may import it."""
