/** The check every architecture with tied embeddings applies to a stored `lm_head.weight`. */
import { CheckpointTensorError } from '../io/errors.js';
import type { HostTensor } from '../io/safetensors.js';

/**
 * A checkpoint may store `lm_head.weight` although config.json says the head is tied to the
 * embedding (transformers then ignores it): accept it only when it equals the embedding, within
 * 1e-2 so a head stored in a lower precision than the embedding passes.
 * @throws CheckpointTensorError naming both tensors and `source`.
 */
export function assertTiedHead(head: HostTensor, embedding: HostTensor, embeddingName: string, source: string): void {
  const sameShape = head.shape.length === 2 && head.shape[0] === embedding.shape[0] && head.shape[1] === embedding.shape[1];
  let diff = sameShape ? 0 : Infinity;
  if (sameShape) {
    for (let i = 0; i < head.data.length; i++) {
      const d = Math.abs(head.data[i] - embedding.data[i]);
      if (d > diff || Number.isNaN(d)) diff = d;
    }
  }
  if (!(diff <= 1e-2)) {
    throw new CheckpointTensorError(
      `${source}: "lm_head.weight" differs from "${embeddingName}" (max |diff| ${diff}) but config.json has tie_word_embeddings=true. Set tie_word_embeddings to false to use a separate head.`,
      source,
    );
  }
}
