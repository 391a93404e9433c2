"""A command run as a terminal runs it, for the Ctrl-C and progress-bar tests.

start() runs it in a new session whose controlling terminal is a fresh pseudo-terminal of the
given width (stdin, stdout and stderr on it), so it is that terminal's foreground process
group, as a command typed into a shell is; read_some() collects what it writes.
"""
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios


def start(args, columns=80, rows=24):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def child_setup():
        os.setsid()
        os.close(os.open(os.ttyname(0), os.O_RDWR))  # the pty becomes the controlling tty

    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=child_setup, close_fds=True)
    os.close(slave)
    return proc, master


def read_some(master, out, wait):
    """Appends what is there within wait seconds to out; False once the terminal is closed."""
    r, _, _ = select.select([master], [], [], wait)
    if r:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last user is gone
            return False
        if not chunk:
            return False
        out.extend(chunk)
    return True


def read_to_end(proc, master, out, limit):
    """Reads until the command ends (or limit seconds pass) and the terminal is drained."""
    import time
    deadline = time.time() + limit
    while proc.poll() is None and time.time() < deadline:
        read_some(master, out, 0.05)
    while select.select([master], [], [], 0.05)[0] and read_some(master, out, 0):
        pass
