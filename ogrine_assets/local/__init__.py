"""What runs on one machine: the home on disk and the stack of ``ogrine up``.

The home (``OGRINE_HOME``): its lock (``lock.py``), files written whole (``files.py``), its
stores made whole (``stores.py``) and the identity of the processes that run in it
(``processes.py``). The stack: its parts' commands (``parts.py``), the stack itself
(``stack.py``) and what of its output reaches the terminal (``console.py``).
"""
