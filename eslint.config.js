import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{
		ignores: ['build/', '.svelte-kit/', 'node_modules/', '.local/', 'test-results/', 'playwright-report/', 'coverage/']
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
			// Tokens must never reach a log: console output is allowed only where it is deliberate.
			'no-console': 'off',
			// Reeldrive is always served from the origin's root (the manifest's scope is "/"), so
			// plain paths are right and resolve() would only add noise.
			'svelte/no-navigation-without-resolve': 'off'
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: { parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
	},
	{
		// The pure upload core may not reach for platform globals: they arrive as ports.
		files: ['src/lib/upload/**/*.ts'],
		ignores: ['src/lib/upload/**/*.test.ts'],
		rules: {
			'no-restricted-globals': [
				'error',
				...['fetch', 'setTimeout', 'setInterval', 'clearTimeout', 'indexedDB', 'navigator', 'window', 'document', 'self', 'crypto', 'localStorage', 'caches'].map((name) => ({
					name,
					message: 'src/lib/upload is pure: receive this through a port (ports.ts).'
				}))
			],
			'no-restricted-imports': ['error', { patterns: ['dexie', 'svelte', 'svelte/*', '$app/*', '@azure/*', '@supabase/*', '@microsoft/*'] }]
		}
	},
	{
		// Components talk to managers, never to the services behind them (house rule 4).
		files: ['src/lib/components/**/*.svelte', 'src/routes/**/*.svelte'],
		rules: {
			'no-restricted-imports': ['error', { patterns: ['dexie', '@azure/*', '@supabase/*', '@microsoft/*', '$lib/graph/*', '$lib/supabase/*', '$lib/db/*'] }]
		}
	}
);
