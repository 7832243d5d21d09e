#!/usr/bin/env node
// Raypher's service entry point (built code lives in ../dist).
import '../dist/main.js';
