// Monaco's ESM entry points without type declarations of their own (typed through 'monaco-editor').
declare module 'monaco-editor/esm/vs/editor/edcore.main.js';
declare module 'monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution.js';
declare module 'monaco-editor/esm/vs/language/json/monaco.contribution.js';
declare module 'monaco-yaml/yaml.worker.js';
