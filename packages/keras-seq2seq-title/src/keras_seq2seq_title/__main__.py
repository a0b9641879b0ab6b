import sys

from .cli import main

if __name__ == "__main__":  # importing this module (tools that import every module) runs nothing
    sys.exit(main())
