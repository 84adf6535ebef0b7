import { build } from 'esbuild';
const type = process.argv[2];
const r = await build({ entryPoints: [`lambdas/credentials/${type}/handler.ts`], bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', mainFields: ['module','main'], alias: { 'iconv-lite': './lambdas/credentials/mysql/iconv-lite-stub.ts' }, write: false, metafile: true, outfile: '/tmp/x.js', logLevel: 'error', external: (process.argv[3]||'').split(',').filter(Boolean) });
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [f, v] of Object.entries(out.inputs)) { const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/); const k = m ? m[1] : f.split('/').slice(0,3).join('/'); by[k] = (by[k]||0) + v.bytesInOutput; }
console.log('total', out.bytes);
for (const [k, v] of Object.entries(by).sort((a,b)=>b[1]-a[1]).slice(0,30)) console.log(String(v).padStart(8), k);
