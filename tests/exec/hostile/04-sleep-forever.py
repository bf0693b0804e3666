#: expect timeout
#: timeout 1
import time

time.sleep(3600)
