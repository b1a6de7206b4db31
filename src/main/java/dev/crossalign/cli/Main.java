package dev.crossalign.cli;

/** Entry point; the command tree lands with the validate command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(0);
  }
}
