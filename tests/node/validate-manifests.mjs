// Schema validation of Kubernetes manifests, offline: every document of every *.yaml in the directory given is checked
// against the OpenAPI schema of its apiVersion and kind (npm kubernetes-models, the upstream schemas compiled for ajv).
// Prints one line per document ("valid", "INVALID <why>" or "no schema") and exits 1 if any document is invalid.
// Kinds that are not Kubernetes API objects (kustomize's Kustomization) have no schema and are reported as such.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node validate-manifests.mjs DIR');
  process.exit(2);
}

let invalid = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    if (doc.errors.length > 0) {
      console.log(`${file}: INVALID yaml: ${doc.errors[0].message}`);
      invalid++;
      continue;
    }

    const manifest = doc.toJSON();
    if (!manifest) continue;
    const label = `${file}: ${manifest.apiVersion} ${manifest.kind}`;
    const [group, version] = manifest.apiVersion?.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
    let model;
    try {
      model = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${manifest.kind}`))[manifest.kind];
    } catch {
      console.log(`${label}: no schema`);
      continue;
    }

    try {
      new model(manifest).validate();
      console.log(`${label} ${manifest.metadata?.name}: valid`);
    } catch (e) {
      console.log(`${label}: INVALID ${e.message}`);
      invalid++;
    }
  }
}

process.exitCode = invalid > 0 ? 1 : 0;
