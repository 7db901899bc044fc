"""A TCP proxy in front of a real database that a test can freeze (stop forwarding, as a
SIGSTOPped server) or cut (close every connection and refuse new ones, as a killed server),
then restore. Threads only; loopback only."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut()
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # frozen: hold what came in, send nothing on
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def freeze(self) -> None:
        """Stop forwarding: connections stay open, no byte goes either way."""
        self._flowing.clear()

    def cut(self) -> None:
        """Close every connection and the listening socket: connecting is refused."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accept() blocked in _accept: a
                self._listener.shutdown(socket.SHUT_RDWR)  # bare close() would leave it
            self._listener.close()  # taking one more connection
            self._listener = None
        with self._lock:
            live = list(self._sockets)
        for sock in live:
            self._drop(sock)

    def restore(self) -> None:
        """Forward again (after freeze) and accept again on the same port (after cut)."""
        if self._listener is None:
            self._listen()
        self._flowing.set()

    def close(self) -> None:
        self.cut()
        self._flowing.set()
