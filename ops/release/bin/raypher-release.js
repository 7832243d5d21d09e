#!/usr/bin/env node
// Raypher's release tool: bundles and the signed TUF repository (built code lives in ../dist).
import '../dist/main.js';
