"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.EVENT_NAMES = void 0;
exports.EVENT_NAMES = ['a'];
//# sourceMappingURL=index.js.map