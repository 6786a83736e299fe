//! The texts of files on the pages (zh-CN, en), beside the pages' main table.

/// Key, Chinese, English.
pub const FILE_TEXTS: &[(&str, &str, &str)] = &[
    ("case.files", "附件", "Files"),
    ("case.files.none", "尚未上传文件", "No files yet"),
    ("case.files.add", "添加文件", "Add files"),
    ("case.files.upload", "上传", "Upload"),
    ("files.choose", "选择文件", "Choose files"),
    ("files.none_chosen", "未选择文件", "No file chosen"),
    ("done.attached", "文件已上传", "The files were added"),
    ("ev.attached", "添加附件", "Files added"),
    ("ev.downloaded", "下载附件", "File downloaded"),
    ("files.count", "{n} 个文件", "{n} file(s)"),
    (
        "files.hidden",
        "（含个人信息的附件，已隐藏）",
        "(files with personal data, hidden)",
    ),
    (
        "files.limits",
        "最多 {n} 个文件，每个不超过 {size}；可上传：{kinds}",
        "Up to {n} files of at most {size} each: {kinds}",
    ),
    ("file.empty", "文件是空的", "the file is empty"),
    ("file.too_large", "文件超过 {size}", "the file is larger than {size}"),
    (
        "file.unknown",
        "无法识别文件内容，请上传照片、PDF、Word、Excel 或文本文件",
        "its content is not a kind of file the centre takes (photos, PDF, Word, Excel or text)",
    ),
    (
        "file.mismatch",
        "文件名表明是{declared}，但内容是{found}",
        "its name says {declared} but its content is {found}",
    ),
    (
        "file.not_accepted",
        "此处不接受{kind}",
        "this field does not take {kind} files",
    ),
    (
        "file.damaged",
        "图片已损坏，无法读取",
        "the image is damaged and cannot be read",
    ),
    (
        "file.too_many",
        "此处最多 {n} 个文件",
        "this field holds at most {n} files",
    ),
    ("file.none", "请选择要上传的文件", "Choose the files to upload"),
    ("file.erased", "（已随个人信息删除）", "(erased with the personal data)"),
    ("kind.jpg", "JPEG 照片", "JPEG photo"),
    ("kind.png", "PNG 图片", "PNG image"),
    ("kind.gif", "GIF 图片", "GIF image"),
    ("kind.webp", "WebP 图片", "WebP image"),
    ("kind.heic", "HEIC 照片", "HEIC photo"),
    ("kind.pdf", "PDF 文件", "PDF"),
    ("kind.docx", "Word 文档", "Word document"),
    ("kind.xlsx", "Excel 表格", "Excel sheet"),
    ("kind.txt", "文本文件", "text file"),
];
