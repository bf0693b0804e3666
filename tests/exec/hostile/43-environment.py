#: expect passed
import os

assert dict(os.environ) == {"OMP_NUM_THREADS": "1"}, dict(os.environ)
