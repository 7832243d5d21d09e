#!/usr/bin/env node
// Raypher's operator CLI (built code lives in ../dist).
import '../dist/main.js';
