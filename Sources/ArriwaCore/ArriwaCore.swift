public enum ArriwaCore { public static let version = "0.1.0" }
