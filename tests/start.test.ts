// `npm start` serves the course: Jupyter on 127.0.0.1 with a token, rooted at notebooks/, the tslab kernel
// listed. And a Python without Jupyter gives one clear line and a non-zero exit.
import { spawn, spawnSync } from "child_process";
import * as http from "http";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const ready = fs.existsSync(path.join(ROOT, ".jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json"));
const withSetup = ready ? describe : describe.skip;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

withSetup("npm start", () => {
  test("serves the course on 127.0.0.1 with a token and the tslab kernel", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "start.js")], {
      cwd: ROOT,
      env: { ...process.env, TSDL_PORT: String(port), TSDL_NO_BROWSER: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL after 90 s:\n${log}`)), 90000);
        const poll = setInterval(() => {
          const m = log.match(/http:\/\/([\d.]+):(\d+)\/\S*\?token=([0-9a-f]+)/);
          if (m) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(m[0]);
          }
        }, 200);
      });
      const u = new URL(url);
      expect(u.hostname).toBe("127.0.0.1");
      expect(u.port).toBe(String(port));
      const token = u.searchParams.get("token");
      expect(token).toMatch(/^[0-9a-f]{32,}$/);
      const denied = await get(`http://127.0.0.1:${port}/api/kernelspecs`);
      expect(denied.status).toBe(403);
      const specs = await get(`http://127.0.0.1:${port}/api/kernelspecs?token=${token}`);
      expect(specs.status).toBe(200);
      const names = Object.keys(JSON.parse(specs.body).kernelspecs);
      expect(names).toContain("tslab");
      const contents = await get(`http://127.0.0.1:${port}/api/contents?token=${token}`);
      const files = (JSON.parse(contents.body).content as { name: string }[]).map((f) => f.name);
      expect(files).toContain("01-autodiff.ipynb"); // rooted at notebooks/
      expect(files).toContain("exercices");
    } finally {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* gone */
      }
      await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });

  test("a Python without Jupyter is one clear error line and exit 1", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "start.js")], {
      cwd: ROOT,
      env: { ...process.env, TSDL_PYTHON: process.execPath /* not a Python at all */ },
      encoding: "utf8",
      timeout: 120000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[tsdl\] ERROR: TSDL_PYTHON=.* has no Jupyter .*install them in it/);
  });
});
