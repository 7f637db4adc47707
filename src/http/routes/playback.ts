import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { publicHlsUrl, readPlaybackFile } from '../../assets/playback.js';
import type { FolderSource } from '../../assets/rendition-folders.js';
import type { AppContext } from '../../core/context.js';
import type { PathTokens } from '../../lib/path-token.js';
import { errors } from '../responses.js';

/**
 * HLS and storyboards for players: the token in the path is the credential (no key), so any origin may
 * fetch (CORS `*`); a cache may keep a file until the token ends, never longer.
 */
export function playbackRoutes(deps: AppContext, tokens: PathTokens) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const folder = (name: FolderSource, summary: string) =>
      app.get(
        `/${name}/:asset_id/:token/*`,
        {
          schema: {
            summary,
            tags: ['delivery'],
            security: [],
            params: Type.Object({ asset_id: Type.String({ minLength: 1, maxLength: 100 }), token: Type.String({ minLength: 1, maxLength: 200 }), '*': Type.String() }),
            response: { 200: Type.Unknown({ description: 'The file.' }), ...errors(403, 404) },
          },
        },
        async (request, reply) => {
          const { asset_id, token } = request.params;
          const file = await readPlaybackFile(deps, tokens, name, asset_id, token, request.params['*']);
          return reply
            .headers({
              'Content-Type': file.mimetype,
              'Content-Length': String(file.size),
              'Cache-Control': `private, max-age=${file.maxAge}`,
              'Access-Control-Allow-Origin': '*',
              'X-Content-Type-Options': 'nosniff',
            })
            .send(file.body);
        },
      );
    folder('hls', 'HLS playlists and CMAF segments of a video, under a signed path (from the asset’s playback.hls)');
    folder('storyboard', 'A video’s storyboard: the WebVTT of thumbnail tiles and its sprite, under a signed path (from the asset’s playback.storyboard)');
    app.get(
      '/p/:namespace_id/:alias/hls/master.m3u8',
      {
        schema: {
          summary: 'Public delivery by alias: the video’s HLS master playlist',
          tags: ['delivery'],
          security: [],
          params: Type.Object({ namespace_id: Type.String({ minLength: 1, maxLength: 100 }), alias: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 302: Type.Null({ description: 'Location: a freshly signed master playlist URL.' }), ...errors(404) },
        },
      },
      async (request, reply) => {
        const url = await publicHlsUrl(deps, tokens, request.params.namespace_id, request.params.alias);
        return reply.code(302).header('Location', url).header('Cache-Control', 'public, max-age=60').header('Access-Control-Allow-Origin', '*').send(null);
      },
    );
  };
}
