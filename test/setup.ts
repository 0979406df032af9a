// Loaded by mocha before any spec (see .mocharc.json): inversify needs the metadata polyfill first.
import 'reflect-metadata';
