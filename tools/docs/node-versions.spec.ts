// The Node.js the images run is the major CI tests, and the documentation names what the images
// and CI run: moving the images, or CI's pinned release, without the other (or the docs) fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** `version=24.22.3` in .ci/node-24: the release CI runs `npm test` on besides the machine's own. */
function ciRelease(): string {
  const version = /^version=(\d+\.\d+\.\d+)$/m.exec(read('.ci/node-24'))?.[1];
  if (!version) throw new Error('.ci/node-24 pins no version=<major.minor.patch>');
  return version;
}

/** The default base image of tools/docker/Dockerfile (`ARG NODE_IMAGE=node:24-bookworm-slim`). */
function image(): { ref: string; major: string } {
  const match = /^ARG NODE_IMAGE=(node:(\d+)-[a-z-]+)$/m.exec(read('tools/docker/Dockerfile'));
  if (!match) throw new Error('tools/docker/Dockerfile has no ARG NODE_IMAGE=node:<major>-<variant>');
  return { ref: match[1], major: match[2] };
}

describe('Node.js versions', () => {
  it('the images run the major CI tests', () => {
    expect(image().major).toBe(ciRelease().split('.')[0]);
  });

  it.each(['README.md', 'k8s/README.md', 'docs/compatibility.md'])(
    "%s names the images' base image",
    (doc) => {
      const named = new Set([...read(doc).matchAll(/`(node:[\w.-]+)`/g)].map((m) => m[1]));
      expect([...named]).toEqual([image().ref]);
    },
  );

  it('docs/compatibility.md names the release CI tests', () => {
    expect(read('docs/compatibility.md')).toContain(` ${ciRelease()} `);
  });
});
