#: expect failed
#: detail Boom
class Boom(Exception):
    def __str__(self):
        raise RuntimeError("no")


raise Boom()
