import socket, threading, time, sys, json
RESP = b"HTTP/1.1 200 OK\r\nServer: Echo/1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Mixed-Case: V\r\nContent-Length: 2\r\n\r\nok"
received = []
RESPS = {
 "clte": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
 "tegzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
 "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;e=1\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
 "cont": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
 "early": b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
 "s204": b"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n",
 "h10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
 "close_nolen": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nbodyuntilclose",
 "cldiff": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
 "badname": b"HTTP/1.1 200 OK\r\nX(A): 1\r\nContent-Length: 2\r\n\r\nok",
 "fold": b"HTTP/1.1 200 OK\r\nX-F: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
 "noreason": b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
 "st999": b"HTTP/1.1 999 Weird\r\nContent-Length: 2\r\n\r\nok",
 "st42": b"HTTP/1.1 42 Weird\r\nContent-Length: 2\r\n\r\nok",
 "conn_close": b"HTTP/1.1 200 OK\r\nConnection: close, X-Bar\r\nContent-Length: 2\r\n\r\nok",
 "ws": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nDATA",
}
lock = threading.Lock()
def read_req(c, buf):
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d: return None, buf
        buf += d
    i = buf.index(b"\r\n\r\n") + 4
    head = buf[:i].decode('latin1').lower()
    need = 0
    if "transfer-encoding: chunked" in head:
        while not (buf.endswith(b"\r\n\r\n") and len(buf)>i+4 and b"\r\n0" in b"\r\n"+buf[i:]):
            d = c.recv(65536)
            if not d: break
            buf += d
        j = len(buf)
        return buf[:j], buf[j:]
    for l in head.split("\r\n"):
        if l.startswith("content-length:"): need = int(l.split(":")[1].strip().split(",")[0])
    while len(buf) < i + need:
        d = c.recv(65536)
        if not d: break
        buf += d
    return buf[:i+need], buf[i+need:]
def serve_echo(c):
    try: serve_echo2(c)
    except Exception: pass
def serve_echo2(c):
    buf = b""
    while True:
        req, buf = read_req(c, buf)
        if req is None: break
        with lock: received.append(req)
        p = req.split(b" ")[1]
        if p.startswith(b"/r/"):
            c.sendall(RESPS[p[3:].decode()]); 
            if p.startswith(b"/r/close"): c.close(); return
        else: c.sendall(RESP)
    c.close()
def serve_garbage(c):
    c.recv(65536); c.sendall(b"FOO BAR\r\n\r\n"); time.sleep(0.2); c.close()
def serve_hang(c):
    time.sleep(3); c.close()
def listener(port, fn):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
for p, f in [(19001, serve_echo), (19002, serve_garbage), (19003, serve_hang)]:
    threading.Thread(target=listener, args=(p, f), daemon=True).start()
time.sleep(0.3)
def run(port, data, wait=0.5, close_after=False):
    with lock: received.clear()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    s.settimeout(wait)
    out = b""
    deadline = time.time() + wait*4
    while time.time() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            if out: break
            continue
        except ConnectionResetError:
            out += b"<RST>"; break
        if not d: out += b"<EOF>"; break
        out += d
    s.close()
    time.sleep(0.05)
    with lock: return list(received), out
cases = json.load(open(sys.argv[1]))
for name, port, data, *rest in cases:
    wait = rest[0] if rest else 0.5
    data = data.encode('latin1').decode('unicode_escape').encode('latin1')
    be, cl = run(port, data, wait)
    print("=== " + name)
    print("REQ   " + repr(data))
    for b in be: print("BACK  " + repr(b))
    print("CLIENT " + repr(cl))
