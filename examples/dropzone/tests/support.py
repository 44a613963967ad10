"""Puts the Lambda's source folder on sys.path, as the Lambda runtime does."""

import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "vendor_credentials"
if str(SOURCE) not in sys.path:
    sys.path.insert(0, str(SOURCE))
