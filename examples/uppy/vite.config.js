// Two pages: index.html (Dashboard + @uppy/tus, the default) and s3.html (@uppy/aws-s3).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  build: { rollupOptions: { input: { main: resolve(import.meta.dirname, 'index.html'), s3: resolve(import.meta.dirname, 's3.html') } } },
});
