// Monaco with its workers bundled by Vite (no CDN), and monaco-yaml fed by the same JSON Schemas
// the server validates with (schemas/rule.schema.json, schemas/store.schema.json): completion,
// hover docs and schema markers as you type. Rule files live at file:///rules/<name>, the store
// policy at file:///store/store.yaml, so each gets its own schema.

import type * as MonacoApi from 'monaco-editor';
// The editor core with all its features, YAML highlighting and the JSON language (for .json rule
// files): not the other 80 languages of the full 'monaco-editor' entry.
import * as core from 'monaco-editor/esm/vs/editor/edcore.main.js';
import 'monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution.js';
import 'monaco-editor/esm/vs/language/json/monaco.contribution.js';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/esm/vs/language/json/json.worker?worker';
import { configureMonacoYaml } from 'monaco-yaml';
import YamlWorker from './yaml.worker?worker';
import ruleSchema from '../../schemas/rule.schema.json';
import storeSchema from '../../schemas/store.schema.json';

const monaco = core as unknown as typeof MonacoApi;

declare global {
  interface Window {
    MonacoEnvironment?: MonacoApi.Environment;
  }
}

window.MonacoEnvironment = {
  getWorker(_moduleId: string, label: string): Worker {
    if (label === 'yaml') return new YamlWorker();
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

export const RULE_URI = (name: string) => monaco.Uri.parse(`file:///rules/${name}`);
export const STORE_URI = monaco.Uri.parse('file:///store/store.yaml');

configureMonacoYaml(monaco, {
  enableSchemaRequest: false,
  validate: true,
  hover: true,
  completion: true,
  schemas: [
    { uri: ruleSchema.$id, fileMatch: ['file:///rules/*.yaml', 'file:///rules/*.yml'], schema: ruleSchema as never },
    { uri: storeSchema.$id, fileMatch: ['file:///store/store.yaml'], schema: storeSchema as never },
  ],
});

monaco.languages.json.jsonDefaults.setDiagnosticsOptions({
  validate: true,
  enableSchemaRequest: false,
  allowComments: false,
  schemas: [{ uri: ruleSchema.$id, fileMatch: ['file:///rules/*.json'], schema: ruleSchema }],
});

export { monaco };
