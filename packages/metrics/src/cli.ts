#!/usr/bin/env node
import { runWerCli } from './cli/run-wer-cli.js';

process.exitCode = runWerCli(process.argv.slice(2));
