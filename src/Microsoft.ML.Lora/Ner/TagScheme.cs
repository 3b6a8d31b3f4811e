namespace Microsoft.ML.Lora;

/// <summary>
/// How the tags of a sequence-labelling data set mark where entities begin and end.
/// Everything in this library works in <see cref="Iob2"/>; the others are converted to it on input.
/// </summary>
public enum TagScheme
{
    /// <summary>
    /// IOB2 (also called BIO): every entity starts with <c>B-TYPE</c>, continues with <c>I-TYPE</c>; <c>O</c> is outside.
    /// </summary>
    Iob2 = 0,

    /// <summary>
    /// IOB1 (CoNLL-2003's original scheme): entities are runs of <c>I-TYPE</c>; <c>B-TYPE</c> appears only where an entity
    /// directly follows another of the same type.
    /// </summary>
    Iob1 = 1,

    /// <summary>
    /// IO: entities are runs of <c>I-TYPE</c>; two adjacent entities of the same type cannot be told apart.
    /// A <c>B-TYPE</c> tag, which pure IO data never holds, is read as in <see cref="Iob1"/>.
    /// </summary>
    Io = 2,

    /// <summary>
    /// BIOES (also called BILOU): <c>B-</c> begins, <c>I-</c> continues and <c>E-</c> ends a multi-word entity;
    /// <c>S-</c> is a single-word entity.
    /// </summary>
    Bioes = 3,
}
