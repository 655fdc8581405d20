// TypeScript types from an OpenAPI document: `node generate_types.mjs <openapi.json> <out.d.ts>`.
// openapi-typescript's own CLI, plus one transform its documentation recommends: a binary
// string (`format: binary`, the model file of an upload) is a Blob, which FormData takes,
// rather than a string.
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [input, output] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(JSON.parse(readFileSync(input, "utf8")), {
  transform(schema) {
    if (schema.format === "binary") {
      return schema.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
    }
    return undefined;
  },
});
writeFileSync(output, astToString(ast));
