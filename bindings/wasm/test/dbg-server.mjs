import http from 'node:http';
const TOTAL = 256*1024*1024; let handed = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/small') return res.end('small');
  res.writeHead(200, { 'Content-Length': String(TOTAL) });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pump = () => { while (handed < TOTAL) { handed += chunk.length; if (!res.write(chunk)) { res.once('drain', pump); return; } } res.end(); };
  res.on('close', () => { res.removeAllListeners('drain'); console.log('handed', handed/1048576); handed = 0; });
  pump();
});
server.listen(18777, '127.0.0.1');
