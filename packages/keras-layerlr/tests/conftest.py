import sys
from pathlib import Path

# Test the working tree even where the venv holds a non-editable copy of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
