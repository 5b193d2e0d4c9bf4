/**
 * A character-level text corpus (isomorphic): a vocabulary of characters, text <-> token ids, and the corpus
 * as train / validation token arrays, what a character-level language model (src/transformer) trains on.
 */

/** A character vocabulary: token id i is `chars[i]`. */
export interface CharVocabulary {
  /** The characters, in token-id order (each once). */
  readonly chars: string;
  /** Number of tokens. */
  readonly size: number;
  /** Token ids of a text; throws a RangeError naming the first character outside the vocabulary. */
  encode(text: string): Int32Array;
  /** The text of token ids; throws a RangeError on an id outside 0..size-1. */
  decode(tokens: ArrayLike<number>): string;
}

const shown = (c: string) => JSON.stringify(c);

/**
 * A vocabulary of the given characters, in that order; without `chars`, of the distinct characters of `text`,
 * sorted by code point (as character-level models usually build theirs).
 *
 * @example
 * const v = charVocabulary({ text: 'hello world' }); // chars ' dehlorw', size 8
 * v.decode(v.encode('hello')); // 'hello'
 * const fixed = charVocabulary({ chars: '\n abc' });
 */
export function charVocabulary(source: { chars: string } | { text: string }): CharVocabulary {
  const list = 'chars' in source ? Array.from(source.chars) : [...new Set(Array.from(source.text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const ids = new Map<string, number>();
  list.forEach((c, i) => {
    if (ids.has(c)) throw new RangeError(`charVocabulary: the character ${shown(c)} is listed twice (positions ${ids.get(c)} and ${i})`);
    ids.set(c, i);
  });
  if (list.length === 0) throw new RangeError('charVocabulary: no characters (an empty text or list)');
  const chars = list.join('');
  return {
    chars,
    size: list.length,
    encode(text: string): Int32Array {
      const out = new Int32Array(text.length); // UTF-16 units: at least as many as characters
      let n = 0;
      for (const c of text) {
        const id = ids.get(c);
        if (id === undefined) throw new RangeError(`encode: the character ${shown(c)} at position ${n} is not in the vocabulary of ${list.length} characters ${shown(chars)}`);
        out[n++] = id;
      }
      return n === out.length ? out : out.slice(0, n);
    },
    decode(tokens: ArrayLike<number>): string {
      let s = '';
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (!(Number.isInteger(t) && t >= 0 && t < list.length)) throw new RangeError(`decode: token ${t} at position ${i} is not an id of this vocabulary (0..${list.length - 1})`);
        s += list[t];
      }
      return s;
    },
  };
}

/** A text corpus split into train and validation, as text and as token ids of one vocabulary. */
export interface TextCorpus {
  /** e.g. 'kjv'. */
  name: string;
  vocabulary: CharVocabulary;
  trainText: string;
  validationText: string;
  /** Token ids of trainText. */
  train: Int32Array;
  /** Token ids of validationText. */
  validation: Int32Array;
  /** Where the text came from (file path), for reports. */
  source: string;
}

/**
 * Builds a corpus from its two texts, encoding both with `vocabulary` (default: the characters of both texts).
 *
 * @example
 * const c = textCorpus('toy', 'the cat sat\n', 'the hat\n');
 * c.train.length; // 12
 */
export function textCorpus(name: string, trainText: string, validationText: string, vocabulary?: CharVocabulary, source = ''): TextCorpus {
  const v = vocabulary ?? charVocabulary({ text: trainText + validationText });
  return { name, vocabulary: v, trainText, validationText, train: v.encode(trainText), validation: v.encode(validationText), source };
}
