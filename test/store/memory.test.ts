import { MemoryStore } from '../../src/store/memory.ts';
import { storeConformance } from './conformance.ts';

storeConformance('MemoryStore', (now) => new MemoryStore({ now }));
