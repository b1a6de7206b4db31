package dev.crossalign.backend;

/**
 * A backend package's own settings (TFLite's delegate and placeholder switches, say), handed to its provider inside
 * a {@link BackendSpec} when a use case needs more than the {@link BackendSpec.Purpose} implies. Typed, not a string
 * map: each provider names the one options class it understands ({@link BackendProvider#optionsType()}) and
 * {@link Backends#open} refuses a spec carrying any other, so that settings meant for one backend never pass
 * silently to another.
 */
public interface NativeOptions {}
