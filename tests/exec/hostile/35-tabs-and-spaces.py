#: expect failed
#: detail TabError
if True:
	x = 1
        y = 2
