#: expect crashed
#: detail without reporting
import os

os._exit(0)
